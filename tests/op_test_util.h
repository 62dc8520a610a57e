#pragma once
// Shared by the op tests: seeded random arrays, closeness checks that name the worst element,
// and a device array that round-trips through a backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nn/backend.h"

namespace strata::test {

inline std::vector<float> random_floats(int64_t count, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = dist(rng);
  return v;
}

// |got - want| <= tol * max(1, max|want|) everywhere; reports the worst element.
inline ::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want,
                                            double tol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  double scale = 1.0;
  for (float w : want) scale = std::max(scale, static_cast<double>(std::fabs(w)));
  double worst = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::isnan(got[i]) ? INFINITY : std::fabs(static_cast<double>(got[i]) - want[i]);
    if (d > worst) worst = d, at = i;
  }
  if (worst <= tol * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |diff| " << worst << " at [" << at << "]: got " << got[at]
                                       << ", want " << want[at] << " (tolerance " << tol * scale << ")";
}

// A typed array on a backend, filled from and read back to host vectors.
template <class T>
class DeviceArray {
 public:
  DeviceArray(nn::Backend& be, const std::vector<T>& host)
      : be_(be), count_(host.size()), buf_(be, std::max<size_t>(1, host.size()) * sizeof(T)) {
    if (!host.empty()) be_.upload(buf_.as<void>(), host.data(), host.size() * sizeof(T));
  }
  // An output: it starts as NaN (integers: all ones), so an element an op never writes fails the
  // comparison instead of passing as a zero the allocation happened to hold.
  DeviceArray(nn::Backend& be, size_t count) : DeviceArray(be, std::vector<T>(count, unwritten())) {}
  static T unwritten() {
    if constexpr (std::numeric_limits<T>::has_quiet_NaN) {
      return std::numeric_limits<T>::quiet_NaN();
    } else {
      return static_cast<T>(~T{});
    }
  }
  T* get() { return buf_.as<T>(); }
  std::vector<T> host() {
    std::vector<T> out(count_);
    if (count_) be_.download(out.data(), buf_.as<void>(), count_ * sizeof(T));
    return out;
  }

 private:
  nn::Backend& be_;
  size_t count_;
  nn::DeviceBuffer buf_;
};

}  // namespace strata::test
