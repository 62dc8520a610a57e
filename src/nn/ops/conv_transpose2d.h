#pragma once
// Transposed 2-D convolution (the gradient of a convolution with respect to its input),
// NCHW float32, as PyTorch's ConvTranspose2d(c_in, c_out, k, stride, padding=pad):
// weights [c_in, c_out, k, k], bias [c_out], output size (h - 1) * stride - 2 * pad + k.
// sample-fcn uses k = 5, stride 1, pad 2 (same size); unet-small k = 2, stride 2, pad 0 (2x).
#include <cstdint>

namespace strata::nn {

struct ConvTranspose2dShape {
  int64_t n = 1, c_in = 1, h = 1, w = 1;  // input
  int64_t c_out = 1, k = 1, stride = 1, pad = 0;
  int64_t out_h() const { return (h - 1) * stride - 2 * pad + k; }
  int64_t out_w() const { return (w - 1) * stride - 2 * pad + k; }
  int64_t input_size() const;
  int64_t weight_size() const;  // c_in * c_out * k * k
  int64_t output_size() const;
  void validate() const;  // Error unless sizes > 0, 0 <= pad < k, output > 0
};

// Each input pixel scatters x * w into a k x k window of the output; b may be null.
void conv_transpose2d_forward_reference(const ConvTranspose2dShape& s, const float* x, const float* w,
                                        const float* b, float* y);

// Overwrites dx, dw, db (each may be null).
void conv_transpose2d_backward_reference(const ConvTranspose2dShape& s, const float* x, const float* w,
                                         const float* dy, float* dx, float* dw, float* db);

}  // namespace strata::nn
