#pragma once
// 2-D convolution, NCHW float32, "same" padding (pad = k / 2, k odd), stride 1 or 2.
// Weights [c_out, c_in, k, k], bias [c_out]; output [n, c_out, ceil(h / stride), ceil(w / stride)],
// which is what PyTorch's Conv2d(padding=k // 2) gives. A 1x1 convolution is k = 1.
// `act` is a forward-only epilogue, y = act(conv(x, w) + b) (nn/ops/activation_fn.h): the
// backward ops require Activation::none (an Error otherwise; a trained activation is its own op).
#include <cstdint>

#include "nn/ops/activation_fn.h"

namespace strata::nn {

struct Conv2dShape {
  int64_t n = 1, c_in = 1, h = 1, w = 1;  // input
  int64_t c_out = 1, k = 1, stride = 1;
  Activation act = Activation::none;  // forward only: applied after the bias
  int64_t pad() const { return k / 2; }
  int64_t out_h() const { return (h + 2 * pad() - k) / stride + 1; }
  int64_t out_w() const { return (w + 2 * pad() - k) / stride + 1; }
  int64_t input_size() const;   // n * c_in * h * w, overflow-checked
  int64_t weight_size() const;  // c_out * c_in * k * k
  int64_t output_size() const;  // n * c_out * out_h * out_w
  void validate() const;        // Error unless sizes > 0, k odd, stride 1 or 2
};

// y = act(conv(x, w) + b); b may be null (no bias).
void conv2d_forward_reference(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y);

// Given dy, writes (overwrites) dx, dw and db; any of them may be null when not wanted.
// s.act must be none.
void conv2d_backward_reference(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx,
                               float* dw, float* db);

}  // namespace strata::nn
