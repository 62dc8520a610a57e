// The CUDA cloud masks and composite (kernels/geo_kernels.h) against src/geo's CPU references,
// bit for bit, on random and edge-case inputs: every QA60 and SCL value, the spectral test's
// thresholds and missing B10, dilation at image borders, 1x1 and odd images, stacks with nodata,
// all-masked pixels, long stacks and every percentile's corner. Label gpu; skips without a GPU.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "geo/cloud_mask.h"
#include "geo/composite.h"
#include "kernels/cuda_backend.h"
#include "kernels/cuda_check.h"
#include "kernels/geo_kernels.h"
#include "composite_stacks.h"
#include "gpu_required.h"

namespace strata::geo {
namespace {

// A device copy of a host vector (or zeroed space), freed at scope end.
template <class T>
class Dev {
 public:
  explicit Dev(const std::vector<T>& host) : count_(host.size()) {
    STRATA_CUDA_CHECK(cudaMalloc(&ptr_, std::max<size_t>(1, count_) * sizeof(T)));
    if (count_) STRATA_CUDA_CHECK(cudaMemcpy(ptr_, host.data(), count_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  explicit Dev(size_t count) : Dev(std::vector<T>(count)) {}
  ~Dev() { (void)cudaFree(ptr_); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  T* get() const { return ptr_; }
  std::vector<T> host() const {
    STRATA_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> out(count_);
    if (count_) STRATA_CUDA_CHECK(cudaMemcpy(out.data(), ptr_, count_ * sizeof(T), cudaMemcpyDeviceToHost));
    return out;
  }

 private:
  size_t count_;
  T* ptr_ = nullptr;
};

template <class T>
::testing::AssertionResult same(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i])
      return ::testing::AssertionFailure() << "first difference at [" << i << "]: got " << +got[i] << ", want "
                                           << +want[i];
  return ::testing::AssertionSuccess();
}

template <class T>
std::vector<T> random_values(size_t count, uint64_t seed, int lo, int hi) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

class CudaGeo : public ::testing::Test {
 protected:
  void SetUp() override {
    STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  }
};

TEST_F(CudaGeo, Qa60EveryValue) {
  std::vector<uint16_t> qa(65536);
  for (size_t i = 0; i < qa.size(); ++i) qa[i] = static_cast<uint16_t>(i);
  std::vector<uint8_t> want(qa.size());
  cloud_mask_qa60_reference(qa.data(), static_cast<int64_t>(qa.size()), want.data());
  Dev<uint16_t> d(qa);
  Dev<uint8_t> out(qa.size());
  cuda::cloud_mask_qa60(d.get(), static_cast<int64_t>(qa.size()), out.get(), nullptr);
  EXPECT_TRUE(same(out.host(), want));
}

TEST_F(CudaGeo, SclEveryValue) {
  std::vector<uint8_t> scl(256);
  for (size_t i = 0; i < scl.size(); ++i) scl[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> want(scl.size());
  cloud_mask_scl_reference(scl.data(), 256, want.data());
  Dev<uint8_t> d(scl), out(scl.size());
  cuda::cloud_mask_scl(d.get(), 256, out.get(), nullptr);
  EXPECT_TRUE(same(out.host(), want));
}

TEST_F(CudaGeo, SpectralWithAndWithoutCirrusBand) {
  const int64_t w = 37, h = 23, n = w * h;
  // Values around every threshold: blue 2000, haze 800, NIR 1100, cirrus 100, nodata 0.
  std::vector<std::vector<uint16_t>> b;
  for (uint64_t seed = 1; seed <= 6; ++seed) b.push_back(random_values<uint16_t>(static_cast<size_t>(n), seed, 0, 4000));
  b[5] = random_values<uint16_t>(static_cast<size_t>(n), 7, 0, 200);  // B10
  b[0][0] = 0, b[1][1] = 0, b[4][1] = 0;                                 // nodata; B3 + B11 = 0
  for (bool with_b10 : {true, false})
    for (bool has_nodata : {true, false}) {
      SpectralParams p;
      p.has_nodata = has_nodata;
      const SpectralBands host{b[0].data(), b[1].data(), b[2].data(), b[3].data(), with_b10 ? b[5].data() : nullptr,
                               b[4].data(), nullptr};
      std::vector<uint8_t> want(static_cast<size_t>(n));
      cloud_mask_spectral_reference(host, w, h, p, want.data());
      Dev<uint16_t> d2(b[0]), d3(b[1]), d4(b[2]), d8(b[3]), d11(b[4]), d10(b[5]);
      const SpectralBands dev{d2.get(), d3.get(), d4.get(), d8.get(), with_b10 ? d10.get() : nullptr, d11.get(),
                              nullptr};
      Dev<uint8_t> out(static_cast<size_t>(n));
      cuda::cloud_mask_spectral(dev, w, h, p, out.get(), nullptr);
      EXPECT_TRUE(same(out.host(), want)) << "B10 " << with_b10 << ", nodata " << has_nodata;
      SpectralBands missing = dev;
      missing.b11 = nullptr;
      EXPECT_THROW(cuda::cloud_mask_spectral(missing, w, h, p, out.get(), nullptr), Error);
    }
}

TEST_F(CudaGeo, DilationEveryShapeAndRadius) {
  for (auto [w, h] : {std::pair<int64_t, int64_t>{1, 1}, {7, 1}, {1, 9}, {31, 17}}) {
    // Mostly clear, some of every code and a few bytes that are no code at all.
    std::vector<uint8_t> in = random_values<uint8_t>(static_cast<size_t>(w * h), static_cast<uint64_t>(w * h), 0, 40);
    for (uint8_t& m : in) m = m < 6 ? m : m == 40 ? 200 : 0;
    for (DilationShape shape : {DilationShape::square, DilationShape::disk})
      for (int r : {0, 1, 2, 5}) {
        std::vector<uint8_t> want(in.size());
        dilate_mask(in.data(), w, h, r, shape, want.data());
        Dev<uint8_t> d(in), out(in.size());
        cuda::dilate_mask(d.get(), w, h, r, shape, out.get(), nullptr);
        EXPECT_TRUE(same(out.host(), want)) << w << "x" << h << " radius " << r;
      }
  }
  Dev<uint8_t> d(4), out(4);
  EXPECT_THROW(cuda::dilate_mask(d.get(), 2, 2, -1, DilationShape::disk, out.get(), nullptr), Error);
}

TEST_F(CudaGeo, CompositeMatchesTheReference) {
  for (const test::StackCase& c : test::stack_cases()) {
    const test::Stack s = test::make_stack(c);
    Dev<uint16_t> images(s.images), out(s.want.size());
    Dev<uint8_t> masks(s.masks), count(s.want_count.size());
    const cuda::CompositeStack stack{c.dates,       c.bands,
                                     c.height,      c.width,
                                     images.get(),  c.masks ? masks.get() : nullptr,
                                     s.nodata};
    cuda::composite(stack, c.percentile, c.out_nodata, out.get(), count.get(), nullptr);
    EXPECT_TRUE(same(out.host(), s.want)) << s.what;
    EXPECT_TRUE(same(count.host(), s.want_count)) << s.what;
  }
}

}  // namespace
}  // namespace strata::geo
