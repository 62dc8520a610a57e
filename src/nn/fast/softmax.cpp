#include "nn/fast/softmax.h"

#include "nn/fast/avx512.h"
#include "nn/fast/exp_avx512.h"
#include "nn/fast/gemm_avx512.h"
#include "nn/ops/softmax.h"

#ifdef STRATA_HAVE_AVX512_CODE

namespace strata::nn::fast {
namespace {

// Pixels [i, i + 16) of one image (masked at the end), channel planes hw apart.
STRATA_AVX512 void softmax_block(const float* x, float* y, int64_t c, int64_t hw, int64_t i, __mmask16 m) {
  __m512 mx = _mm512_maskz_loadu_ps(m, x + i);
  for (int64_t k = 1; k < c; ++k) mx = _mm512_max_ps(mx, _mm512_maskz_loadu_ps(m, x + k * hw + i));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t k = 0; k < c; ++k) {
    const __m512 e = exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + k * hw + i), mx));
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
