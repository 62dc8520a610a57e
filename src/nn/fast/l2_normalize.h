#pragma once
// The fast CPU path of the channel L2 normalisation (contract: nn/ops/l2_normalize.h): blocks of
// pixels, the per-pixel sums over channels accumulated in double by contiguous (vectorised) passes
// over each channel plane, then one scaling pass, where the reference walks one pixel at a time
// through c planes hw apart. Works on the flat pixel range [begin, end) of [0, n * hw), so threads
// can split pixels across images.
#include <cstdint>

#include "nn/ops/l2_normalize.h"

namespace strata::nn::fast {

void l2_normalize_forward(const L2NormalizeShape& s, const float* x, float* y, int64_t begin, int64_t end);
void l2_normalize_backward(const L2NormalizeShape& s, const float* x, const float* dy, float* dx, int64_t begin,
                           int64_t end);

}  // namespace strata::nn::fast
