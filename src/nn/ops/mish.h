#pragma once
// Mish (Misra 2019), elementwise: y = x * tanh(softplus(x)), softplus(x) = ln(1 + e^x), the
// activation of Dynamic World's network (in its Keras graph: math.softplus -> math.tanh ->
// math.multiply). One fused op, numerically safe for large |x|: no overflow of e^x for large x
// (y -> x), no 0 * inf for very negative x (y -> 0). Backward needs the forward's input x:
// dy/dx = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2). Forward may run in place (y == x);
// backward may write over dy (dx == dy).
#include <cstdint>

namespace strata::nn {
// One value: what mish_forward_reference writes for x (in double, rounded to float; y = x past 20).
float mish_reference(float x);
void mish_forward_reference(const float* x, float* y, int64_t count);
void mish_backward_reference(const float* x, const float* dy, float* dx, int64_t count);
}  // namespace strata::nn
