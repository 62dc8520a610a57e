#include "nn/fast/winograd.h"

#include <algorithm>

#include "core/checked.h"
#include "nn/fast/activation.h"
#include "nn/fast/avx512.h"
#include "nn/fast/gemm_avx512.h"

namespace strata::nn::fast {
namespace {

constexpr int64_t kPositions = 16;  // a transformed 4x4 tile

int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

// Output tiles of 2x2 and the tile rows of one band: V and M of a band in about 768 KiB
// (beside the weights, in the 1 MiB L2 of these cores).
struct Plan {
  int64_t tiles_h, tiles_w, band_rows;
};

Plan plan_of(const Conv2dShape& s) {
  const int64_t th = (s.h + 1) / 2, tw = (s.w + 1) / 2;
  constexpr int64_t target = 768 * 1024;  // bytes: in L2 beside the weights' panel
  const int64_t row_bytes = checked_product({kPositions, s.c_in + s.c_out, tw, int64_t{4}});
  return {th, tw, std::clamp<int64_t>(target / row_bytes, 1, th)};
}

// The scratch of one call: U [16][c_out][c_in], V [16][c_in][T], M [16][c_out][T] with T the
// tiles of a band, the GEMM's panel, and for the weight gradient M[q] transposed [T][c_out]
// (U then holds dU transposed, [16][c_in][c_out], and M the transformed dy).
struct Scratch {
  float *u, *v, *m, *panel, *mt;
  int64_t total;
};

Scratch carve(const Conv2dShape& s, const Plan& p, float* base) {
  const int64_t band_tiles = checked_mul(p.band_rows, p.tiles_w);
  const int64_t sizes[5] = {round16(checked_product({kPositions, s.c_out, s.c_in})),
                            round16(checked_product({kPositions, s.c_in, band_tiles})),
                            round16(checked_product({kPositions, s.c_out, band_tiles})),
                            round16(gemm_panel_floats(std::max(s.c_in, band_tiles))),
                            round16(checked_mul(band_tiles, s.c_out))};
  Scratch sc{};
  float** slots[5] = {&sc.u, &sc.v, &sc.m, &sc.panel, &sc.mt};
  int64_t offset = 0;
  for (int i = 0; i < 5; ++i) {
    *slots[i] = base ? base + offset : nullptr;
    offset += sizes[i];
  }
  sc.total = offset;
  return sc;
}

// U = G g G^T for every (c_out, c_in), G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], stored as
// 16 row-major [c_out, c_in] matrices, the A operands of the 16 GEMMs.
void transform_weights(const Conv2dShape& s, const float* w, float* u) {
  const int64_t plane = s.c_out * s.c_in;
  for (int64_t o = 0; o < s.c_out; ++o)
    for (int64_t i = 0; i < s.c_in; ++i) {
      const float* g = w + (o * s.c_in + i) * 9;
      float gg[4][3];  // G g
      for (int c = 0; c < 3; ++c) {
        gg[0][c] = g[c];
        gg[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
        gg[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
        gg[3][c] = g[6 + c];
      }
      for (int a = 0; a < 4; ++a) {
        const float row[4] = {gg[a][0], 0.5f * (gg[a][0] + gg[a][1] + gg[a][2]),
                              0.5f * (gg[a][0] - gg[a][1] + gg[a][2]), gg[a][2]};
        for (int b = 0; b < 4; ++b) u[(a * 4 + b) * plane + o * s.c_in + i] = row[b];
      }
    }
}

#ifdef STRATA_HAVE_AVX512_CODE

// One tile row of one input channel: the input rows 2ty-1 .. 2ty+2 become V = B^T d B,
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], for every tile of the row, written to
// v[q * stride + tx] for the 16 positions q. Sixteen tiles at a time, all in registers and
// without branches: rows outside the image load as zeros through an empty mask.
STRATA_AVX512 void transform_input_row(const float* plane, int64_t h, int64_t w, int64_t ty, int64_t tw, float* v,
                                       int64_t stride) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i by2 = _mm512_setr_epi32(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
  const float* rows[4];
  __mmask16 in_image[4];
  for (int r = 0; r < 4; ++r) {
    const int64_t iy = 2 * ty - 1 + r;
    const bool inside = iy >= 0 && iy < h;
    rows[r] = plane + (inside ? iy : 0) * w;
    in_image[r] = inside ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>(0);
  }
  for (int64_t tx = 0; tx < tw; tx += 16) {
    // Each row's x[2tx-1 .. 2tx+32] in three vectors; the tiles' inputs d0..d3 are its even
    // and odd lanes from 0 and from 2.
    const int64_t s = 2 * tx - 1;
    const __mmask16 ka = lanes_in(s, w), kb = lanes_in(s + 16, w), kc = lanes_in(s + 32, w);
    __m512 e[4][4];  // e[r][j] = (d B)[r][j]
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      const __m512 a = _mm512_maskz_loadu_ps(ka & in_image[r], rows[r] + s);
      const __m512 b = _mm512_maskz_loadu_ps(kb & in_image[r], rows[r] + s + 16);
      const __m512 c = _mm512_maskz_loadu_ps(kc & in_image[r], rows[r] + s + 32);
      const __m512 a2 = _mm512_permutex2var_ps(a, by2, b), b2 = _mm512_permutex2var_ps(b, by2, c);
      const __m512 d0 = _mm512_permutex2var_ps(a, even, b), d1 = _mm512_permutex2var_ps(a, odd, b);
      const __m512 d2 = _mm512_permutex2var_ps(a2, even, b2), d3 = _mm512_permutex2var_ps(a2, odd, b2);
      e[r][0] = _mm512_sub_ps(d0, d2);
      e[r][1] = _mm512_add_ps(d1, d2);
      e[r][2] = _mm512_sub_ps(d2, d1);
      e[r][3] = _mm512_sub_ps(d1, d3);
    }
    const __mmask16 m = lanes_in(tx, tw);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      _mm512_mask_storeu_ps(v + j * stride + tx, m, _mm512_sub_ps(e[0][j], e[2][j]));
      _mm512_mask_storeu_ps(v + (4 + j) * stride + tx, m, _mm512_add_ps(e[1][j], e[2][j]));
      _mm512_mask_storeu_ps(v + (8 + j) * stride + tx, m, _mm512_sub_ps(e[2][j], e[1][j]));
      _mm512_mask_storeu_ps(v + (12 + j) * stride + tx, m, _mm512_sub_ps(e[1][j], e[3][j]));
    }
  }
}

// One tile row of one output channel: Y = act(A^T M A + bias), A^T = [1 1 1 0; 0 1 -1 -1], into
// output rows y0 and (when it exists) y1, clipped to the width w. The activation is applied in
// registers, before the only store of the output.
STRATA_AVX512 void transform_output_row(const float* mrow, int64_t stride, int64_t tw, int64_t w, float bias,
                                        Activation act, float* y0, float* y1) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512 b = _mm512_set1_ps(bias);
  for (int64_t tx = 0; tx < tw; tx += 16) {
    const __mmask16 k = lanes_in(tx, tw);
    __m512 t0[4], t1[4];
    for (int j = 0; j < 4; ++j) {
      const __m512 m0 = _mm512_maskz_loadu_ps(k, mrow + j * stride + tx),
                   m1 = _mm512_maskz_loadu_ps(k, mrow + (4 + j) * stride + tx),
                   m2 = _mm512_maskz_loadu_ps(k, mrow + (8 + j) * stride + tx),
                   m3 = _mm512_maskz_loadu_ps(k, mrow + (12 + j) * stride + tx);
      t0[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
      t1[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    float* rows[2] = {y0, y1};
    const __m512* ts[2] = {t0, t1};
    for (int a = 0; a < 2; ++a) {
      if (!rows[a]) continue;
      const __m512* t = ts[a];
      const __m512 even = activate_avx512(act, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t[0], t[1]), t[2]), b));
      const __m512 odd = activate_avx512(act, _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t[1], t[2]), t[3]), b));
      _mm512_mask_storeu_ps(rows[a] + 2 * tx, lanes_in(2 * tx, w), _mm512_permutex2var_ps(even, lo, odd));
      _mm512_mask_storeu_ps(rows[a] + 2 * tx + 16, lanes_in(2 * tx + 16, w), _mm512_permutex2var_ps(even, hi, odd));
    }
  }
}
// One tile row of one dy channel: dM = A dy A^T (4x4 from each 2x2 tile of the output rows
// 2ty, 2ty+1; zero beyond the image), written to m[q * stride + tx]. A dy A^T maps a row pair
// (u, v) to (u, u + v, u - v, -v) in both directions.
STRATA_AVX512 void transform_grad_row(const float* plane, int64_t h, int64_t w, int64_t ty, int64_t tw, float* m,
                                      int64_t stride) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (int64_t tx = 0; tx < tw; tx += 16) {
    __m512 r[2][4];  // r[a] = (dy row 2ty+a) A^T
    for (int a = 0; a < 2; ++a) {
      const int64_t oy = 2 * ty + a;
      const __mmask16 inside = oy < h ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>(0);
      const float* row = plane + (oy < h ? oy : 0) * w + 2 * tx;
      const __m512 lo = _mm512_maskz_loadu_ps(lanes_in(2 * tx, w) & inside, row);
      const __m512 hi = _mm512_maskz_loadu_ps(lanes_in(2 * tx + 16, w) & inside, row + 16);
      const __m512 u = _mm512_permutex2var_ps(lo, even, hi), v = _mm512_permutex2var_ps(lo, odd, hi);
      r[a][0] = u;
      r[a][1] = _mm512_add_ps(u, v);
      r[a][2] = _mm512_sub_ps(u, v);
      r[a][3] = _mm512_sub_ps(_mm512_setzero_ps(), v);
    }
    const __mmask16 k = lanes_in(tx, tw);
    for (int j = 0; j < 4; ++j) {
      _mm512_mask_storeu_ps(m + j * stride + tx, k, r[0][j]);
      _mm512_mask_storeu_ps(m + (4 + j) * stride + tx, k, _mm512_add_ps(r[0][j], r[1][j]));
      _mm512_mask_storeu_ps(m + (8 + j) * stride + tx, k, _mm512_sub_ps(r[0][j], r[1][j]));
      _mm512_mask_storeu_ps(m + (12 + j) * stride + tx, k, _mm512_sub_ps(_mm512_setzero_ps(), r[1][j]));
    }
  }
}

void prefetch_rows(const float* p, int64_t count) {
  for (int64_t i = 0; i < count; i += 16) _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
}
// V of tile rows [ty0, ty0 + rows) of one image, all channels: v [16][c_in][rows * tw].
void transform_input_band(const Conv2dShape& s, const float* xn, int64_t ty0, int64_t rows, int64_t tw, float* v) {
  const int64_t plane = s.h * s.w, t = rows * tw;
  const int64_t iy0 = std::max<int64_t>(0, 2 * ty0 - 1), iy1 = std::min(s.h, 2 * (ty0 + rows) + 2);
  for (int64_t ci = 0; ci < s.c_in; ++ci) {
    // The band's rows of the next channel are a short stream 64 KiB and more away: fetch them
    // while this channel is transformed (the hardware prefetcher does not; measured -10%).
    if (ci + 1 < s.c_in) prefetch_rows(xn + (ci + 1) * plane + iy0 * s.w, (iy1 - iy0) * s.w);
    for (int64_t ty = ty0; ty < ty0 + rows; ++ty)
      transform_input_row(xn + ci * plane, s.h, s.w, ty, tw, v + ci * t + (ty - ty0) * tw, s.c_in * t);
  }
}

// dW = G^T dU G for every (c_out, c_in), G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1], from dU
// transposed [16][c_in][c_out].
void weights_from_grad(const Conv2dShape& s, const float* dut, float* dw) {
  const int64_t plane = s.c_in * s.c_out;
  for (int64_t o = 0; o < s.c_out; ++o)
    for (int64_t i = 0; i < s.c_in; ++i) {
      float u[4][4];
      for (int q = 0; q < 16; ++q) u[q / 4][q % 4] = dut[q * plane + i * s.c_out + o];
      float gu[3][4];  // G^T dU
      for (int c = 0; c < 4; ++c) {
        gu[0][c] = u[0][c] + 0.5f * (u[1][c] + u[2][c]);
        gu[1][c] = 0.5f * (u[1][c] - u[2][c]);
        gu[2][c] = 0.5f * (u[1][c] + u[2][c]) + u[3][c];
      }
      float* g = dw + (o * s.c_in + i) * 9;
      for (int a = 0; a < 3; ++a) {
        g[a * 3] = gu[a][0] + 0.5f * (gu[a][1] + gu[a][2]);
        g[a * 3 + 1] = 0.5f * (gu[a][1] - gu[a][2]);
        g[a * 3 + 2] = 0.5f * (gu[a][1] + gu[a][2]) + gu[a][3];
      }
    }
}
#endif

}  // namespace

#ifdef STRATA_HAVE_AVX512_CODE
// The transforms are AVX-512 (masked loads and stores make the edges free); elsewhere the
// direct convolution runs.
bool winograd_applies(const Conv2dShape& s) { return s.k == 3 && s.stride == 1 && have_avx512(); }
#else
bool winograd_applies(const Conv2dShape&) { return false; }
#endif

int64_t winograd_scratch_floats(const Conv2dShape& s) {
  s.validate();
  return carve(s, plan_of(s), nullptr).total;
}

void winograd_conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                             float* scratch) {
  s.validate();
  check(winograd_applies(s), "winograd_conv2d_forward: needs a 3x3 stride-1 convolution and AVX-512");
#ifdef STRATA_HAVE_AVX512_CODE
  const Plan p = plan_of(s);
  const Scratch sc = carve(s, p, scratch);
  const int64_t tw = p.tiles_w, plane = s.h * s.w;
  transform_weights(s, w, sc.u);
  for (int64_t n = 0; n < s.n; ++n) {
    const float* xn = x + n * s.c_in * plane;
    float* yn = y + n * s.c_out * plane;
    for (int64_t ty0 = 0; ty0 < p.tiles_h; ty0 += p.band_rows) {
      const int64_t rows = std::min(p.band_rows, p.tiles_h - ty0), t = rows * tw;
      transform_input_band(s, xn, ty0, rows, tw, sc.v);
      for (int64_t q = 0; q < kPositions; ++q)  // M[q] [c_out, T] = U[q] [c_out, c_in] * V[q] [c_in, T]
        gemm_avx512(s.c_out, t, s.c_in, sc.u + q * s.c_out * s.c_in, s.c_in, sc.v + q * s.c_in * t, t,
                    sc.m + q * s.c_out * t, t, nullptr, false, sc.panel);
      for (int64_t co = 0; co < s.c_out; ++co)
        for (int64_t ty = ty0; ty < ty0 + rows; ++ty) {
          float* y0 = yn + co * plane + 2 * ty * s.w;
          transform_output_row(sc.m + co * t + (ty - ty0) * tw, s.c_out * t, tw, s.w, b ? b[co] : 0.0f, s.act,
                               y0, 2 * ty + 1 < s.h ? y0 + s.w : nullptr);
        }
    }
  }
#else
  (void)x, (void)w, (void)b, (void)y, (void)scratch;
#endif
}

// dU[q] = sum over tiles of dM[q] V[q]^T, as dU^T[q] [c_in, c_out] += V[q] [c_in, T] * dM[q]^T [T, c_out]
// with dM = A dy A^T, then dW = G^T dU G: 2.25x fewer multiplies than the lowered product.
void winograd_conv2d_weight_grad(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* scratch) {
  s.validate();
  check(winograd_applies(s), "winograd_conv2d_weight_grad: needs a 3x3 stride-1 convolution and AVX-512");
#ifdef STRATA_HAVE_AVX512_CODE
  const Plan p = plan_of(s);
  const Scratch sc = carve(s, p, scratch);
  const int64_t tw = p.tiles_w, plane = s.h * s.w;
  bool first = true;
  for (int64_t n = 0; n < s.n; ++n) {
    const float* xn = x + n * s.c_in * plane;
    const float* dyn = dy + n * s.c_out * plane;
    for (int64_t ty0 = 0; ty0 < p.tiles_h; ty0 += p.band_rows) {
      const int64_t rows = std::min(p.band_rows, p.tiles_h - ty0), t = rows * tw;
      transform_input_band(s, xn, ty0, rows, tw, sc.v);
      const int64_t oy0 = 2 * ty0, oy1 = std::min(s.h, 2 * (ty0 + rows));
      for (int64_t co = 0; co < s.c_out; ++co) {
        if (co + 1 < s.c_out) prefetch_rows(dyn + (co + 1) * plane + oy0 * s.w, (oy1 - oy0) * s.w);
        for (int64_t ty = ty0; ty < ty0 + rows; ++ty)
          transform_grad_row(dyn + co * plane, s.h, s.w, ty, tw, sc.m + co * t + (ty - ty0) * tw, s.c_out * t);
      }
      for (int64_t q = 0; q < kPositions; ++q) {
        transpose_avx512(sc.m + q * s.c_out * t, s.c_out, t, t, sc.mt);
        gemm_avx512(s.c_in, s.c_out, t, sc.v + q * s.c_in * t, t, sc.mt, s.c_out, sc.u + q * s.c_in * s.c_out,
                    s.c_out, nullptr, !first, sc.panel);
      }
      first = false;
    }
  }
  weights_from_grad(s, sc.u, dw);
#else
  (void)x, (void)dy, (void)dw, (void)scratch;
#endif
}

}  // namespace strata::nn::fast
