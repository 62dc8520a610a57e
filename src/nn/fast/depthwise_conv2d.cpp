#include "nn/fast/depthwise_conv2d.h"

#include <algorithm>

#include "nn/fast/activation.h"
#include "nn/fast/avx512.h"
#include "nn/fast/gemm_avx512.h"
#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {

constexpr int kLanes = 16;
constexpr int64_t kTapGroup = 15 * 15;  // dw's double sums live on the stack, this many taps at a time

// The filter as applied: flip = rotated by 180 degrees (dx), which reverses its k * k taps.
inline float tap(const float* wk, int64_t kk, bool flip, int64_t j) { return wk[flip ? kk - 1 - j : j]; }

// ---- forward / dx, portable ---------------------------------------------------------------
// Each output row starts at the bias, then every tap whose input row lies inside adds its
// weight times the input row shifted by kx - p, over the columns where the shift stays inside.
STRATA_SIMD_CLONES void plane_rows(const float* __restrict x, const float* wk, bool flip, float bias,
                                   float* __restrict y, int64_t h, int64_t w, int64_t k) {
  const int64_t p = k / 2, kk = k * k;
  for (int64_t oy = 0; oy < h; ++oy) {
    float* __restrict yr = y + oy * w;
    for (int64_t ox = 0; ox < w; ++ox) yr[ox] = bias;
    for (int64_t ky = 0; ky < k; ++ky) {
      const int64_t iy = oy - p + ky;
      if (iy < 0 || iy >= h) continue;
      const float* __restrict xr = x + iy * w;
      for (int64_t kx = 0; kx < k; ++kx) {
        const float a = tap(wk, kk, flip, ky * k + kx);
        const int64_t off = kx - p, lo = std::max<int64_t>(0, -off), hi = std::min(w, w - off);
        for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += a * xr[ox + off];
      }
    }
  }
}

#ifdef STRATA_HAVE_AVX512_CODE
// ---- forward / dx, AVX-512 ------------------------------------------------------------------
// Sixteen outputs [ox, ox + 16) of row oy per vector. Tap (ky, kx) reads input row oy - p + ky
// at columns ox - p + kx + lane: lanes outside the row, and whole rows outside the image, are
// masked out (zero, nothing read). inside[ky]: all lanes, or none for a row outside the image.
// Edge: some tap reaches past the row's ends, so the columns are masked too; elsewhere (most
// vectors) only by the row's mask, which costs nothing to compute.
template <int K, bool Edge>
STRATA_AVX512 inline void forward_vector(const float* const* rows, const __mmask16* inside, const __m512* wv,
                                         __m512 acc, Activation act, int64_t ox, int64_t w, float* yr) {
  constexpr int p = K / 2;
  __m512 part[K];  // one sum per input row: K short dependency chains instead of one of K * K FMAs
  part[0] = acc;
  for (int ky = 1; ky < K; ++ky) part[ky] = _mm512_setzero_ps();
  for (int kx = 0; kx < K; ++kx) {
    const int64_t start = ox - p + kx;
    const __mmask16 cols = Edge ? lanes_in(start, w) : __mmask16(0xffff);
    for (int ky = 0; ky < K; ++ky) {
      const __m512 v = _mm512_maskz_loadu_ps(cols & inside[ky], rows[ky] + start);
      part[ky] = _mm512_fmadd_ps(wv[ky * K + kx], v, part[ky]);
    }
  }
  for (int ky = 1; ky < K; ++ky) part[0] = _mm512_add_ps(part[0], part[ky]);
  _mm512_mask_storeu_ps(yr + ox, Edge ? lanes_in(ox, w) : __mmask16(0xffff), activate_avx512(act, part[0]));
}

// Does a vector at ox need column masks (a tap left of 0 or right of w - 1)?
inline bool edge_vector(int64_t ox, int64_t p, int64_t w) { return ox < p || ox + kLanes + p > w; }

// The K input rows under output row oy (a row above or below the image is clamped and masked out,
// so its taps read zeros).
template <int K>
inline void window_rows(const float* x, int64_t oy, int64_t h, int64_t w, const float** rows, __mmask16* inside) {
  for (int ky = 0; ky < K; ++ky) {
    const int64_t iy = oy - K / 2 + ky;
    rows[ky] = x + std::clamp<int64_t>(iy, 0, h - 1) * w;
    inside[ky] = iy >= 0 && iy < h ? __mmask16(0xffff) : __mmask16(0);
  }
}

// K = 3 or 5: the filter in registers, each output row's K input rows (clamped: a row outside the
// image is read with mask 0) fixed before its vectors. The activation is applied in registers.
template <int K>
STRATA_AVX512 void plane_avx512(const float* x, const float* wk, bool flip, float bias, Activation act, float* y,
                                int64_t h, int64_t w) {
  constexpr int p = K / 2;
  __m512 wv[K * K];
  for (int j = 0; j < K * K; ++j) wv[j] = _mm512_set1_ps(tap(wk, K * K, flip, j));
  const __m512 b = _mm512_set1_ps(bias);
  for (int64_t oy = 0; oy < h; ++oy) {
    const float* rows[K];
    __mmask16 inside[K];
    window_rows<K>(x, oy, h, w, rows, inside);
    for (int64_t ox = 0; ox < w; ox += kLanes) {
      if (edge_vector(ox, p, w)) forward_vector<K, true>(rows, inside, wv, b, act, ox, w, y + oy * w);
      else forward_vector<K, false>(rows, inside, wv, b, act, ox, w, y + oy * w);
    }
  }
}

// Any k: the same with the taps' rows limited to the image and the weights broadcast per use.
STRATA_AVX512 void plane_avx512_any(const float* x, const float* wk, bool flip, float bias, Activation act, float* y,
                                    int64_t h, int64_t w, int64_t k) {
  const int64_t p = k / 2, kk = k * k;
  for (int64_t oy = 0; oy < h; ++oy)
    for (int64_t ox = 0; ox < w; ox += kLanes) {
      __m512 acc = _mm512_set1_ps(bias);
      for (int64_t kx = 0; kx < k; ++kx) {
        const int64_t start = ox - p + kx;
        const __mmask16 cols = lanes_in(start, w);
        for (int64_t ky = std::max<int64_t>(0, p - oy); ky < std::min(k, h + p - oy); ++ky)
          acc = _mm512_fmadd_ps(_mm512_set1_ps(tap(wk, kk, flip, ky * k + kx)),
                                _mm512_maskz_loadu_ps(cols, x + (oy - p + ky) * w + start), acc);
      }
      _mm512_mask_storeu_ps(y + oy * w + ox, lanes_in(ox, w), activate_avx512(act, acc));
    }
}
#endif

// One plane, y = act(the plane's convolution + bias): with AVX-512 in registers, elsewhere over the
// plane just written (in L2).
void plane(const float* x, const float* wk, bool flip, float bias, Activation act, float* y, int64_t h, int64_t w,
           int64_t k) {
#ifdef STRATA_HAVE_AVX512_CODE
  if (have_avx512()) {
    if (k == 3) return plane_avx512<3>(x, wk, flip, bias, act, y, h, w);
    if (k == 5) return plane_avx512<5>(x, wk, flip, bias, act, y, h, w);
    return plane_avx512_any(x, wk, flip, bias, act, y, h, w, k);
  }
#endif
  plane_rows(x, wk, flip, bias, y, h, w, k);
  activate(act, y, h * w);
}

// ---- dw, db ---------------------------------------------------------------------------------
inline double dot(const float* __restrict a, const float* __restrict b, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
  double s = 0.0;
  for (; i < n; ++i) s += a[i] * b[i];
  for (float v : acc) s += v;
  return s;
}

// acc[j - t0] += sum over the plane of dy * x shifted by tap j, for taps [t0, t1).
STRATA_SIMD_CLONES void plane_dw(const float* x, const float* g, int64_t h, int64_t w, int64_t k, int64_t t0,
                                 int64_t t1, double* acc) {
  const int64_t p = k / 2;
  for (int64_t oy = 0; oy < h; ++oy)
    for (int64_t j = t0; j < t1; ++j) {
      const int64_t ky = j / k, kx = j % k, iy = oy - p + ky;
      if (iy < 0 || iy >= h) continue;
      const int64_t off = kx - p, lo = std::max<int64_t>(0, -off), hi = std::min(w, w - off);
      if (lo < hi) acc[j - t0] += dot(g + oy * w + lo, x + iy * w + lo + off, hi - lo);
    }
}

#ifdef STRATA_HAVE_AVX512_CODE
// dw of one plane with AVX-512, K = 3 or 5: acc[j] += sum over the plane of dy * x shifted by tap
// j. Per output row the K * K taps sum in float vectors (sixteen dy a vector, the shifted x by
// masked loads as in the forward, so dy's lanes past the row and x's outside it are zero), then
// go into double vectors: no float sum runs longer than a row's w / 16 terms a lane.
template <int K, bool Edge>
STRATA_AVX512 inline void dw_vector(const float* const* rows, const __mmask16* inside, const float* gr, int64_t ox,
                                    int64_t w, __m512* row) {
  constexpr int p = K / 2;
  const __m512 gv = _mm512_maskz_loadu_ps(Edge ? lanes_in(ox, w) : __mmask16(0xffff), gr + ox);
  for (int kx = 0; kx < K; ++kx) {
    const int64_t start = ox - p + kx;
    const __mmask16 cols = Edge ? lanes_in(start, w) : __mmask16(0xffff);
    for (int ky = 0; ky < K; ++ky)
      row[ky * K + kx] =
          _mm512_fmadd_ps(gv, _mm512_maskz_loadu_ps(cols & inside[ky], rows[ky] + start), row[ky * K + kx]);
  }
}

template <int K>
STRATA_AVX512 void plane_dw_avx512(const float* x, const float* g, int64_t h, int64_t w, double* acc) {
  constexpr int p = K / 2;
  __m512d sums[K * K][2];
  for (auto& s : sums) s[0] = s[1] = _mm512_setzero_pd();
  for (int64_t oy = 0; oy < h; ++oy) {
    const float* rows[K];
    __mmask16 inside[K];
    window_rows<K>(x, oy, h, w, rows, inside);
    __m512 row[K * K];
    for (auto& r : row) r = _mm512_setzero_ps();
    for (int64_t ox = 0; ox < w; ox += kLanes) {
      if (edge_vector(ox, p, w)) dw_vector<K, true>(rows, inside, g + oy * w, ox, w, row);
      else dw_vector<K, false>(rows, inside, g + oy * w, ox, w, row);
    }
    for (int j = 0; j < K * K; ++j) {  // (maskz: the plain extract trips GCC 12's -Wuninitialized)
      const __m256 hi = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xff, _mm512_castps_pd(row[j]), 1));
      sums[j][0] = _mm512_add_pd(sums[j][0], _mm512_cvtps_pd(_mm512_castps512_ps256(row[j])));
      sums[j][1] = _mm512_add_pd(sums[j][1], _mm512_cvtps_pd(hi));
    }
  }
  for (int j = 0; j < K * K; ++j) {  // (stored, not _mm512_reduce_add_pd: GCC 12 warns inside that)
    alignas(64) double lanes[8];
    _mm512_store_pd(lanes, _mm512_add_pd(sums[j][0], sums[j][1]));
    for (double v : lanes) acc[j] += v;
  }
}
#endif

// dw of one plane, any k, with the AVX-512 forms for k = 3 and 5 where present.
void plane_dw_any(const float* x, const float* g, int64_t h, int64_t w, int64_t k, int64_t t0, int64_t t1,
                  double* acc) {
#ifdef STRATA_HAVE_AVX512_CODE
  if (t0 == 0 && t1 == k * k && have_avx512()) {
    if (k == 3) return plane_dw_avx512<3>(x, g, h, w, acc);
    if (k == 5) return plane_dw_avx512<5>(x, g, h, w, acc);
  }
#endif
  plane_dw(x, g, h, w, k, t0, t1, acc);
}

STRATA_SIMD_CLONES double plane_sum(const float* g, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += g[i + j];
  double s = 0.0;
  for (; i < n; ++i) s += g[i];
  for (float v : acc) s += v;
  return s;
}

}  // namespace

void depthwise_conv2d_forward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* b, float* y,
                              int64_t p0, int64_t p1) {
  const int64_t plane_size = s.h * s.w;
  for (int64_t q = p0; q < p1; ++q) {
    const int64_t c = q % s.c;
    plane(x + q * plane_size, w + c * s.k * s.k, false, b ? b[c] : 0.0f, s.act, y + q * plane_size, s.h, s.w, s.k);
  }
}

void depthwise_conv2d_backward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, int64_t c0, int64_t c1) {
  const int64_t plane_size = s.h * s.w, kk = s.k * s.k;
  for (int64_t c = c0; c < c1; ++c) {
    if (dx)
      for (int64_t n = 0; n < s.n; ++n) {
        const int64_t q = n * s.c + c;
        plane(dy + q * plane_size, w + c * kk, true, 0.0f, Activation::none, dx + q * plane_size, s.h, s.w, s.k);
      }
    if (dw)
      for (int64_t t0 = 0; t0 < kk; t0 += kTapGroup) {
        const int64_t t1 = std::min(kk, t0 + kTapGroup);
        double acc[kTapGroup] = {};
        for (int64_t n = 0; n < s.n; ++n) {
          const int64_t q = n * s.c + c;
          plane_dw_any(x + q * plane_size, dy + q * plane_size, s.h, s.w, s.k, t0, t1, acc);
        }
        for (int64_t j = t0; j < t1; ++j) dw[c * kk + j] = static_cast<float>(acc[j - t0]);
      }
    if (db) {
      double sum = 0.0;
      for (int64_t n = 0; n < s.n; ++n) sum += plane_sum(dy + (n * s.c + c) * plane_size, plane_size);
      db[c] = static_cast<float>(sum);
    }
  }
}

}  // namespace strata::nn::fast
