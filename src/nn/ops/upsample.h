#pragma once
// Nearest-neighbour 2x upsampling, NCHW float32: y[2i + a][2j + b] = x[i][j]
// (PyTorch's Upsample(scale_factor=2, mode="nearest")). Backward sums each 2x2 block.
#include <cstdint>

namespace strata::nn {
// planes = n * c; x is [planes, h, w], y is [planes, 2h, 2w].
void upsample2x_forward_reference(const float* x, float* y, int64_t planes, int64_t h, int64_t w);
void upsample2x_backward_reference(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w);
}  // namespace strata::nn
