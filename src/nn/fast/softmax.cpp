#include "nn/fast/softmax.h"

#include "nn/fast/avx512.h"
#include "nn/fast/gemm_avx512.h"
#include "nn/ops/softmax.h"

#ifdef STRATA_HAVE_AVX512_CODE

namespace strata::nn::fast {
namespace {

// e^x for x <= 0 (softmax's x - max): e^x = 2^k e^r with k = round(x / ln2), r = x - k ln2
// (ln2 in two parts, so r is exact to float), e^r by its Taylor series to r^6.
STRATA_AVX512 inline __m512 exp_nonpositive(__m512 x) {
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

// Pixels [i, i + 16) of one image (masked at the end), channel planes hw apart.
STRATA_AVX512 void softmax_block(const float* x, float* y, int64_t c, int64_t hw, int64_t i, __mmask16 m) {
  __m512 mx = _mm512_maskz_loadu_ps(m, x + i);
  for (int64_t k = 1; k < c; ++k) mx = _mm512_max_ps(mx, _mm512_maskz_loadu_ps(m, x + k * hw + i));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t k = 0; k < c; ++k) {
    const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + k * hw + i), mx));
    _mm512_mask_storeu_ps(y + k * hw + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
  for (int64_t k = 0; k < c; ++k)
    _mm512_mask_storeu_ps(y + k * hw + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + k * hw + i), inv));
}

STRATA_AVX512 void softmax_avx512(const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < hw; i += 16) softmax_block(x + b * c * hw, y + b * c * hw, c, hw, i, lanes_in(i, hw));
}

}  // namespace

void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
  if (have_avx512()) return softmax_avx512(x, y, n, c, hw);
  softmax_channels_reference(x, y, n, c, hw);
}

}  // namespace strata::nn::fast

#else

namespace strata::nn::fast {
void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
  softmax_channels_reference(x, y, n, c, hw);
}
}  // namespace strata::nn::fast

#endif
