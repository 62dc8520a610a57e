#pragma once
// The fast CPU path of 2x2 max pooling's backward (contract: nn/ops/max_pool.h): one pass that
// writes all four inputs of each window (dy at the first maximum, zero elsewhere) with selects,
// where the reference zero-fills dx and then scatters behind a data-dependent branch per input.
#include "nn/ops/max_pool.h"

namespace strata::nn::fast {

void max_pool2x2_backward(const PoolShape& s, const float* x, const float* dy, float* dx);

}  // namespace strata::nn::fast
