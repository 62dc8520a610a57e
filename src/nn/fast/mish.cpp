#include "nn/fast/mish.h"

#include <bit>

#include "nn/fast/activation.h"
#include "nn/fast/avx512.h"
#include "nn/fast/exp_avx512.h"
#include "nn/fast/gemm_avx512.h"
#include "nn/fast/simd.h"

// Per value, as the reference (nn/ops/mish.cpp) but in float: e = e^x, n = e (e + 2),
// t = tanh(softplus(x)) = n / (n + 2), y = x t, slope = t + x e / (1 + e) * 4 (n + 1) / (n + 2)^2.
// The exp takes x clamped to 20 (the reference's switch to y = x), and that clamp is all the large-x
// handling needed: from x = 8.7 on, n + 2 rounds to n in float, so t = 1 exactly and y = x t = x;
// at the clamp 1 + e rounds to e too, so the slope is 1 + 20 * 4 / n, exactly 1 in float. No
// select after the exp (a select of a computed value keeps GCC from vectorising the portable loop
// under -ftrapping-math), nothing overflows ((n + 2)^2 <= 5.5e34), and NaN propagates (through x
// in y = x t; through the clamp, which passes NaN, in the slope).
namespace strata::nn::fast {
namespace {

constexpr float kLinear = 20.0f;

// The exp of exp_avx512.h in plain C++ for x in [-87, 20]: round to nearest by the 1.5 * 2^23
// trick, 2^k as exponent bits (k in [-126, 29]: a normal float).
inline float exp_clamped(float x) {
  const float k = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  float r = x - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p * std::bit_cast<float>((static_cast<int32_t>(k) + 127) << 23);
}

// A value the optimiser cannot see through. With the clamp bounds as constants, GCC's partial
// redundancy elimination gives the clamped lanes a path of their own (e^20 folded to a constant),
// and a loop with control flow in it is not vectorised (measured: GCC 12, avx2 and baseline
// clones). The empty asm sits before each loop, so it costs nothing per value.
inline float opaque(float v) {
#if defined(__GNUC__)
  asm("" : "+g"(v));
#endif
  return v;
}

struct Bounds {
  float linear = opaque(kLinear), low = opaque(-87.0f);
};

// e^min(x, 20), e^-87 for x below -87 and, so that the integer conversion stays defined, for NaN.
inline float exp_of(float x, const Bounds& b) {
  const float hi = x < b.linear ? x : b.linear;
  return exp_clamped(hi > b.low ? hi : b.low);
}

STRATA_SIMD_CLONES void forward_portable(const float* x, float* y, int64_t count) {
  const Bounds b;
  for (int64_t i = 0; i < count; ++i) {
    const float v = x[i], e = exp_of(v, b), n = e * (e + 2.0f);
    y[i] = v * (n / (n + 2.0f));
  }
}

STRATA_SIMD_CLONES void backward_portable(const float* x, const float* dy, float* dx, int64_t count) {
  const Bounds b;
  for (int64_t i = 0; i < count; ++i) {
    const float v = x[i], e = exp_of(v, b), n = e * (e + 2.0f), d = n + 2.0f;
    const float xc = v > b.linear ? b.linear : v;  // NaN stays NaN
    dx[i] = dy[i] * (n / d + xc * (e / (1.0f + e)) * (4.0f * (n + 1.0f) / (d * d)));
  }
}

#ifdef STRATA_HAVE_AVX512_CODE

// min(20, x), NaN where x is NaN (minps returns its second operand when either is NaN);
// exp_avx512 raises anything below -87 (NaN included) to -87.
STRATA_AVX512 inline __m512 clamp_high(__m512 v) { return _mm512_min_ps(_mm512_set1_ps(kLinear), v); }

STRATA_AVX512 void forward_avx512(const float* x, float* y, int64_t count) {
  for (int64_t i = 0; i < count; i += 16) {
    const __mmask16 m = lanes_in(i, count);
    _mm512_mask_storeu_ps(y + i, m, mish_avx512(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

STRATA_AVX512 void backward_avx512(const float* x, const float* dy, float* dx, int64_t count) {
  const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f);
  for (int64_t i = 0; i < count; i += 16) {
    const __mmask16 m = lanes_in(i, count);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i), g = _mm512_maskz_loadu_ps(m, dy + i);
    const __m512 xc = clamp_high(v), e = exp_avx512(xc);
    const __m512 n = _mm512_mul_ps(e, _mm512_add_ps(e, two)), d = _mm512_add_ps(n, two);
    const __m512 t = _mm512_div_ps(n, d);
    const __m512 sig = _mm512_div_ps(e, _mm512_add_ps(one, e));
    const __m512 omt2 = _mm512_div_ps(_mm512_mul_ps(four, _mm512_add_ps(n, one)), _mm512_mul_ps(d, d));
    const __m512 slope = _mm512_fmadd_ps(_mm512_mul_ps(xc, sig), omt2, t);
    _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(g, slope));
  }
}

#endif

}  // namespace

void mish_forward(const float* x, float* y, int64_t count) {
#ifdef STRATA_HAVE_AVX512_CODE
  if (have_avx512()) return forward_avx512(x, y, count);
#endif
  forward_portable(x, y, count);
}

void mish_backward(const float* x, const float* dy, float* dx, int64_t count) {
#ifdef STRATA_HAVE_AVX512_CODE
  if (have_avx512()) return backward_avx512(x, dy, dx, count);
#endif
  backward_portable(x, dy, dx, count);
}

}  // namespace strata::nn::fast
