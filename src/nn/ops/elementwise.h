#pragma once
// The small array ops the training loop needs between layers: zeroing gradients, summing
// the two gradients that meet where a U-Net skip connection branches, a residual sum, and the scan that turns
// a NaN in the input into an error instead of a NaN model.
#include <cstdint>

namespace strata::nn {
void fill_reference(float* y, float value, int64_t count);
void add_inplace_reference(float* y, const float* x, int64_t count);  // y += x
void add_reference(const float* a, const float* b, float* y, int64_t count);  // y = a + b; y may be a or b
int64_t count_nonfinite_reference(const float* x, int64_t count);     // NaN and +-Inf
}  // namespace strata::nn
