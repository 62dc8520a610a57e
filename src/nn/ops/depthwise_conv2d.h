#pragma once
// Depthwise 2-D convolution (one k x k filter per channel, depth multiplier 1), NCHW float32,
// stride 1, "same" padding (pad = k / 2, k odd): Keras's DepthwiseConv2D(padding="same") and
// PyTorch's Conv2d(c, c, k, padding=k // 2, groups=c). Weights [c, 1, k, k], bias [c].
// `act` is a forward-only epilogue, y = act(dwconv(x, w) + b) (nn/ops/activation_fn.h): the
// backward ops require Activation::none (an Error otherwise).
#include <cstdint>

#include "nn/ops/activation_fn.h"

namespace strata::nn {

struct DepthwiseConv2dShape {
  int64_t n = 1, c = 1, h = 1, w = 1;
  int64_t k = 3;
  Activation act = Activation::none;  // forward only: applied after the bias
  int64_t pad() const { return k / 2; }
  int64_t size() const;         // n * c * h * w (input and output), overflow-checked
  int64_t weight_size() const;  // c * k * k
  void validate() const;        // Error unless sizes > 0 and k odd
};

// y = act(dwconv(x, w) + b); b may be null.
void depthwise_conv2d_forward_reference(const DepthwiseConv2dShape& s, const float* x, const float* w,
                                        const float* b, float* y);
// Overwrites dx, dw, db; any may be null when not wanted. s.act must be none.
void depthwise_conv2d_backward_reference(const DepthwiseConv2dShape& s, const float* x, const float* w,
                                         const float* dy, float* dx, float* dw, float* db);

}  // namespace strata::nn
