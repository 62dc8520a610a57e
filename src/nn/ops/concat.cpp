#include "nn/ops/concat.h"

#include <algorithm>
#include <cstdint>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t ConcatShape::total() const {
  int64_t t = 0;
  for (int64_t c : channels) {
    check(c >= 0 && t <= INT64_MAX - c, "concat: channel count overflows");
    t += c;
  }
  return t;
}

int64_t ConcatShape::output_size() const { return checked_product({n, total(), hw}); }

void ConcatShape::validate() const {
  check(!channels.empty(), "concat: needs at least one input");
  check(n > 0 && hw > 0, "concat: sizes must be > 0");
  for (int64_t c : channels) check(c > 0, "concat: every input needs channels > 0");
  (void)output_size();
}

void concat_channels_forward_reference(const ConcatShape& s, const float* const* xs, float* y) {
  s.validate();
  const int64_t out = s.total() * s.hw;
  for (int64_t i = 0; i < s.n; ++i) {
    int64_t at = i * out;
    for (size_t k = 0; k < s.channels.size(); ++k) {
      const int64_t part = s.channels[k] * s.hw;
      std::copy(xs[k] + i * part, xs[k] + (i + 1) * part, y + at);
      at += part;
    }
  }
}

void concat_channels_backward_reference(const ConcatShape& s, const float* dy, float* const* dxs) {
  s.validate();
  const int64_t out = s.total() * s.hw;
  for (int64_t i = 0; i < s.n; ++i) {
    int64_t at = i * out;
    for (size_t k = 0; k < s.channels.size(); ++k) {
      const int64_t part = s.channels[k] * s.hw;
      if (dxs[k]) std::copy(dy + at, dy + at + part, dxs[k] + i * part);
      at += part;
    }
  }
}

}  // namespace strata::nn
