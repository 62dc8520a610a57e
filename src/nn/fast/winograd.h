#pragma once
// 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016):
// each 2x2 output tile costs 16 multiplies per (c_in, c_out) pair instead of 36, 2.25x fewer
// than the direct convolution, which on this CPU is already held at its FMA peak by the GEMM.
// The input is transformed tile by tile (V = B^T d B), the 16 transformed positions are 16
// GEMMs M = U V with the transformed weights U = G g G^T, and the output is A^T M A + bias.
// Work goes in bands of tile rows sized so V and M stay in the core's L2.
// Same contract as conv2d_forward_reference for the shapes where winograd_applies().
#include <cstdint>

#include "nn/ops/conv2d.h"

namespace strata::nn::fast {

bool winograd_applies(const Conv2dShape& s);
int64_t winograd_scratch_floats(const Conv2dShape& s);
void winograd_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                             float* scratch);
// dW (overwritten) of the images in s, as conv2d_backward_reference's.
void winograd_conv2d_weight_grad(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* scratch);

}  // namespace strata::nn::fast
