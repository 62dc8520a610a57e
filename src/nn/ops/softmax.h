#pragma once
// Per-pixel softmax over channels: x [n, c, hw] -> probabilities [n, c, hw] that sum to 1
// over c at every pixel. Used for inference output; training uses the fused cross-entropy.
#include <cstdint>

namespace strata::nn {
void softmax_channels_reference(const float* x, float* y, int64_t n, int64_t c, int64_t hw);
}  // namespace strata::nn
