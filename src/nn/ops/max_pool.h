#pragma once
// 2x2 max pooling with stride 2, NCHW float32; odd sizes drop the last row/column as
// PyTorch's MaxPool2d(2) does. Ties go to the first maximum in row-major order (as PyTorch).
#include <cstdint>

namespace strata::nn {

struct PoolShape {
  int64_t n = 1, c = 1, h = 2, w = 2;  // input
  int64_t out_h() const { return h / 2; }
  int64_t out_w() const { return w / 2; }
  int64_t input_size() const;
  int64_t output_size() const;
  void validate() const;  // Error unless n, c > 0 and h, w >= 2
};

void max_pool2x2_forward_reference(const PoolShape& s, const float* x, float* y);
// Routes each dy to the window's maximum, recomputed from x; overwrites dx.
void max_pool2x2_backward_reference(const PoolShape& s, const float* x, const float* dy, float* dx);

}  // namespace strata::nn
