#pragma once
// The small array ops the training loop needs between layers: zeroing gradients, summing
// the two gradients that meet where a U-Net skip connection branches.
#include <cstdint>

namespace strata::nn {
void fill_reference(float* y, float value, int64_t count);
void add_inplace_reference(float* y, const float* x, int64_t count);  // y += x
}  // namespace strata::nn
