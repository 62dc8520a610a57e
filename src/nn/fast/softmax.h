#pragma once
// The fast CPU path of the per-pixel softmax (contract: nn/ops/softmax.h): sixteen pixels a
// vector on AVX-512 with a float exp (degree-6 polynomial on [-ln2/2, ln2/2], relative error
// below 2e-7), where the reference takes two double exps per value. The reference elsewhere.
#include <cstdint>

namespace strata::nn::fast {

void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw);

}  // namespace strata::nn::fast
