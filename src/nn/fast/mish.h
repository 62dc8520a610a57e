#pragma once
// The fast CPU path of Mish (contract: nn/ops/mish.h): float arithmetic, one exp per value.
// With AVX-512, sixteen values a vector and the float exp polynomial of exp_avx512.h; elsewhere
// the same arithmetic in plain C++ (the exp by the same range reduction and polynomial, 2^k
// built in the exponent bits) that GCC vectorises per target (target_clones). Both agree with
// the double reference to within 1e-6 of |y| (forward; x below -87 gives e^x of -87, |y| under
// 2e-36 either way) and 1e-6 of |dy| (backward: the slope is O(1) and its two terms cancel near
// Mish's minimum at x = -1.19, so an error relative to the slope itself is not attainable there).
// Measured on 4M points of [-100, 100]: 3.9e-7 of |y|, 1.2e-7 of |dy| (float's exp, 2e-7, and
// a few roundings). In place allowed: y == x, dx == dy. The AVX-512 forward's vector form,
// mish_avx512 in fast/activation.h, is also the convolutions' Mish epilogue.
#include <cstdint>

namespace strata::nn::fast {

void mish_forward(const float* x, float* y, int64_t count);
void mish_backward(const float* x, const float* dy, float* dx, int64_t count);

}  // namespace strata::nn::fast
