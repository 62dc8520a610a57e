#pragma once
// ReLU, elementwise. Backward masks with the forward's output (y > 0), so it also works
// when the forward ran in place; both may run in place (y == x, dx == dy).
#include <cstdint>

namespace strata::nn {
void relu_forward_reference(const float* x, float* y, int64_t count);
void relu_backward_reference(const float* y, const float* dy, float* dx, int64_t count);
}  // namespace strata::nn
