#pragma once
// The convolutions' activation epilogue (Conv2dShape::act, DepthwiseConv2dShape::act) on the
// fast CPU path: applied in place while the output is still in cache, by the same arithmetic as
// the stand-alone ops (Mish: nn/fast/mish.h, within 1e-6 of |y| of the reference; ReLU: exact).
// activate / activate_rows work over memory just written (a GEMM's column block, a plane);
// activate_avx512 over a vector still in registers (Winograd's output transform, the depthwise
// forward).
#include <cstdint>

#include "nn/fast/avx512.h"
#include "nn/fast/exp_avx512.h"
#include "nn/ops/activation_fn.h"

namespace strata::nn::fast {

// y[i] = act(y[i]) for i < count.
void activate(Activation act, float* y, int64_t count);
// y[r * ld + c] = act(y[r * ld + c]) for r < rows, c < cols.
void activate_rows(Activation act, float* y, int64_t rows, int64_t cols, int64_t ld);

#ifdef STRATA_HAVE_AVX512_CODE
// Mish of sixteen values as nn/fast/mish.cpp (its forward is this): e = e^min(x, 20),
// n = e (e + 2), y = x n / (n + 2); NaN stays NaN.
STRATA_AVX512 inline __m512 mish_avx512(__m512 v) {
  const __m512 two = _mm512_set1_ps(2.0f);
  const __m512 e = exp_avx512(_mm512_min_ps(_mm512_set1_ps(20.0f), v));
  const __m512 n = _mm512_mul_ps(e, _mm512_add_ps(e, two));
  return _mm512_mul_ps(v, _mm512_div_ps(n, _mm512_add_ps(n, two)));
}

// ReLU as relu_forward_reference: max(v, 0) returns its second operand, +0, for NaN and -0.
STRATA_AVX512 inline __m512 activate_avx512(Activation act, __m512 v) {
  switch (act) {
    case Activation::none: break;
    case Activation::relu: return _mm512_max_ps(v, _mm512_setzero_ps());
    case Activation::mish: return mish_avx512(v);
  }
  return v;
}
#endif

}  // namespace strata::nn::fast
