#pragma once
// The float exp of the hand-written AVX-512 code (softmax, Mish), sixteen lanes at a time:
// e^x = 2^k e^r with k = round(x / ln2), r = x - k ln2 (ln2 in two parts, so r is exact to
// float) in [-ln2/2, ln2/2], e^r by its Taylor series to r^6 (truncation r^7/7! < 1.2e-7 of
// e^r), 2^k applied by scalef. Relative error below 2e-7 for x in [-87, 88]; x below -87 is
// taken as -87 (e^-87 = 1.6e-38, the bottom of float's normal range: no denormal results), and
// x above 88 overflows to inf, so callers bound x from above where that matters.
#include "nn/fast/avx512.h"

#ifdef STRATA_HAVE_AVX512_CODE

namespace strata::nn::fast {

STRATA_AVX512 inline __m512 exp_avx512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));  // below, e^x is under float's normal range
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}

}  // namespace strata::nn::fast

#endif
