#pragma once
// The fast CPU path of the depthwise convolution (contract: nn/ops/depthwise_conv2d.h), one
// plane (image, channel) at a time, direct: no im2col, since each output takes only k x k
// products. Forward and dx (the same convolution of dy with the filter rotated 180 degrees):
// with AVX-512, sixteen outputs a vector, the filter (k = 3, 5) in registers and every tap a
// masked load, which zero-fills the lanes left or right of the row, so borders, narrow images
// and row ends need no separate code; elsewhere (or STRATA_NO_AVX512) rows of the output are
// accumulated tap by tap, each tap one axpy over the columns where it lies inside the row
// (compiler-vectorised, target_clones). dw and db: per output row, float sums over 16 lanes
// (for k = 3, 5 with AVX-512 all k * k taps of a row at once, by the same masked loads; else
// compiler-vectorised dot products), the rows summed in double. Float results, within rounding
// of the reference's double sums.
#include <cstdint>

#include "nn/ops/depthwise_conv2d.h"

namespace strata::nn::fast {

// Planes [p0, p1) of the forward, plane = image * c + channel.
void depthwise_conv2d_forward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* b, float* y,
                              int64_t p0, int64_t p1);
// The backward of channels [c0, c1): dx of those channels' planes in every image, and their dw and
// db summed over the batch, so threads that split the channels share no sum.
void depthwise_conv2d_backward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, int64_t c0, int64_t c1);

}  // namespace strata::nn::fast
