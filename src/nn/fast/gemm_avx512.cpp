#include "nn/fast/gemm_avx512.h"

#include <cstdlib>
#include <string_view>

#include "nn/fast/avx512.h"

namespace strata::nn::fast {

#ifdef STRATA_HAVE_AVX512_CODE
namespace {

// C[0..R, 0..32) of one tile from a packed k x 32 panel, R <= 8 rows (8 everywhere but the last
// m % 8 rows of C: a 9-class head, 13 * 9 lowered bands); mask0/mask1 cut the columns at the
// right edge of C. Sixteen named accumulators, those of rows >= R unused and compiled away:
// GCC spills an array of them to the stack.
template <int R>
STRATA_AVX512 void tile(int64_t k, const float* a, int64_t lda, const float* panel, float* c, int64_t ldc,
                        const float* bias, bool accumulate, __mmask16 mask0, __mmask16 mask1) {
  static_assert(R >= 1 && R <= 8);
#define STRATA_ROW(i)                                                                            \
  __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();                           \
  if constexpr ((i) < R) {                                                                       \
    if (accumulate) {                                                                            \
      c##i##0 = _mm512_maskz_loadu_ps(mask0, c + (i) * ldc);                                     \
      c##i##1 = _mm512_maskz_loadu_ps(mask1, c + (i) * ldc + 16);                                \
    } else if (bias) {                                                                           \
      c##i##0 = c##i##1 = _mm512_set1_ps(bias[i]);                                               \
    }                                                                                            \
  }                                                                                              \
  const float* a##i = a + ((i) < R ? (i) : 0) * lda;
  STRATA_ROW(0) STRATA_ROW(1) STRATA_ROW(2) STRATA_ROW(3) STRATA_ROW(4) STRATA_ROW(5) STRATA_ROW(6) STRATA_ROW(7)
#undef STRATA_ROW
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_loadu_ps(panel + p * 32);
    const __m512 b1 = _mm512_loadu_ps(panel + p * 32 + 16);
#define STRATA_FMA(i)                                  \
  if constexpr ((i) < R) {                             \
    const __m512 ai = _mm512_set1_ps(a##i[p]);         \
    c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);        \
    c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);        \
  }
    STRATA_FMA(0) STRATA_FMA(1) STRATA_FMA(2) STRATA_FMA(3) STRATA_FMA(4) STRATA_FMA(5) STRATA_FMA(6) STRATA_FMA(7)
#undef STRATA_FMA
  }
#define STRATA_STORE(i)                                            \
  if constexpr ((i) < R) {                                         \
    _mm512_mask_storeu_ps(c + (i) * ldc, mask0, c##i##0);          \
    _mm512_mask_storeu_ps(c + (i) * ldc + 16, mask1, c##i##1);     \
  }
  STRATA_STORE(0) STRATA_STORE(1) STRATA_STORE(2) STRATA_STORE(3) STRATA_STORE(4) STRATA_STORE(5) STRATA_STORE(6)
  STRATA_STORE(7)
#undef STRATA_STORE
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, const float*, bool, __mmask16,
                        __mmask16);
// The tile of the last rows, by their count (index 0 unused).
constexpr TileFn kRemainderTile[8] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>};

bool no_avx512_asked() {
  const char* v = std::getenv("STRATA_NO_AVX512");
  return v && *v && std::string_view(v) != "0";
}

}  // namespace

// STRATA_NO_AVX512=1 takes the paths of CPUs without it (AVX2 nodes): tests run them here.
bool have_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") && !no_avx512_asked();
  return ok;
}

// B[0..k, j..j+32) copied to a contiguous k x 32 panel (zero beyond the right edge), so the
// tiles stream it from L1/L2 instead of touching k distant rows.
STRATA_AVX512 void pack_panel(int64_t k, const float* b, int64_t ldb, __mmask16 m0, __mmask16 m1, float* panel) {
  for (int64_t p = 0; p < k; ++p) {
    _mm512_storeu_ps(panel + p * 32, _mm512_maskz_loadu_ps(m0, b + p * ldb));
    _mm512_storeu_ps(panel + p * 32 + 16, _mm512_maskz_loadu_ps(m1, b + p * ldb + 16));
  }
}

// 16 x 16 blocks through registers (unpack, shuffle, two 128-bit lane shuffles); the edges
// element by element.
STRATA_AVX512 bool transpose_avx512(const float* src, int64_t rows, int64_t cols, int64_t ld, float* dst) {
  if (!have_avx512()) return false;
  const int64_t r16 = rows / 16 * 16, c16 = cols / 16 * 16;
  for (int64_t r0 = 0; r0 < r16; r0 += 16)
    for (int64_t c0 = 0; c0 < c16; c0 += 16) {
      __m512 r[16], t[16];
      for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + (r0 + i) * ld + c0);
      for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; ++i) {
          t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
          t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
      for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
      }
      for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + (c0 + i) * rows + r0, r[i]);
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = i < r16 ? c16 : 0; j < cols; ++j) dst[j * rows + i] = src[i * ld + j];
  return true;
}

bool gemm_avx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                 int64_t ldc, const float* bias, bool accumulate, float* panel) {
  if (!have_avx512()) return false;
  const int64_t m8 = m / 8 * 8;
  const int64_t r = m - m8;
  // The last m % 8 rows take a narrower tile over the same packed panel, while it is in L1: no
  // second pass over B (before, they went through the BLAS, which read B once more).
  const TileFn last = kRemainderTile[r];
  for (int64_t j = 0; j < n; j += 32) {
    const int64_t cols = n - j < 32 ? n - j : 32;
    const __mmask16 m0 = lanes_in(0, cols), m1 = lanes_in(16, cols);
    pack_panel(k, b + j, ldb, m0, m1, panel);
    for (int64_t i = 0; i < m8; i += 8)
      tile<8>(k, a + i * lda, lda, panel, c + i * ldc + j, ldc, bias ? bias + i : nullptr, accumulate, m0, m1);
    if (r > 0)
      last(k, a + m8 * lda, lda, panel, c + m8 * ldc + j, ldc, bias ? bias + m8 : nullptr, accumulate, m0, m1);
  }
  return true;
}

#else

bool have_avx512() { return false; }
bool transpose_avx512(const float*, int64_t, int64_t, int64_t, float*) { return false; }
bool gemm_avx512(int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
                 const float*, bool, float*) {
  return false;
}

#endif

}  // namespace strata::nn::fast
