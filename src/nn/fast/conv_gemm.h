#pragma once
// The fast CPU path of the convolutions: im2col / col2im around one GEMM per image.
// Same contracts as the references in nn/ops/conv2d.h and nn/ops/conv_transpose2d.h.
// `scratch` is caller-owned memory of at least the *_scratch_floats() returned size, so that
// a training step allocates nothing.
#include <cstdint>

#include "nn/ops/conv2d.h"
#include "nn/ops/conv_transpose2d.h"

namespace strata::nn::fast {

int64_t conv2d_scratch_floats(const Conv2dShape& s);
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* scratch);
void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, float* scratch);

// dst = src rotated by 180 degrees with its two channel axes swapped, between the [a][b][k][k]
// and [b][a][k][k] layouts (an involution): the weights of the convolution that is the
// transpose of the one with weights src.
void flip_swap(const float* src, float* dst, int64_t a, int64_t b, int64_t k);

int64_t conv_transpose2d_scratch_floats(const ConvTranspose2dShape& s);
void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                              float* y, float* scratch);
void conv_transpose2d_backward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, float* scratch);

}  // namespace strata::nn::fast
