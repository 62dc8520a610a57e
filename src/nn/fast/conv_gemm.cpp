#include "nn/fast/conv_gemm.h"

#include <algorithm>

#include "core/checked.h"
#include "core/error.h"
#include "nn/fast/activation.h"
#include "nn/fast/gemm.h"
#include "nn/fast/gemm_avx512.h"
#include "nn/fast/im2col.h"
#include "nn/fast/winograd.h"

namespace strata::nn::fast {
namespace {

Lowering conv_lowering(const Conv2dShape& s) {
  return {s.c_in, s.h, s.w, s.k, s.stride, s.pad(), s.out_h(), s.out_w()};
}
// A transposed convolution scatters from the input grid onto the output image: the lowering
// of the output image with the input as the grid of kernel positions.
Lowering convt_lowering(const ConvTranspose2dShape& s) {
  return {s.c_out, s.out_h(), s.out_w(), s.k, s.stride, s.pad, s.h, s.w};
}
// A 1x1 stride-1 convolution needs no lowering: the image is its own column matrix.
bool is_pointwise(const Conv2dShape& s) { return s.k == 1 && s.stride == 1; }

// Pixels of a pointwise convolution per GEMM: a block whose output, c_out x block floats, is
// about 512 KiB, so the activation reads it back from L2. (Measured on [1, 144, 128, 128] with
// Mish: 96 KiB up to the cap, 2.3 MiB, all alike, 5.7 ms: once its input is in any cache, Mish
// is bound by its arithmetic, 0.3 ns a value, and these cores' 260 MiB L3 holds whole layers.)
int64_t pointwise_block(int64_t c_out) {
  constexpr int64_t target = 512 * 1024;
  const int64_t cols = target / (c_out * static_cast<int64_t>(sizeof(float))) / 32 * 32;
  return std::clamp<int64_t>(cols, 256, 4096);
}

void add_bias(float* y, const float* b, int64_t channels, int64_t pixels) {
  for (int64_t c = 0; c < channels; ++c) {
    float* row = y + c * pixels;
    for (int64_t i = 0; i < pixels; ++i) row[i] += b[c];
  }
}

void add_bias_band(float* y, const float* b, int64_t channels, int64_t cols, int64_t stride) {
  for (int64_t c = 0; c < channels; ++c) {
    float* row = y + c * stride;
    for (int64_t i = 0; i < cols; ++i) row[i] += b[c];
  }
}

void bias_grad(const float* dy, float* db, int64_t n, int64_t channels, int64_t pixels) {
  for (int64_t c = 0; c < channels; ++c) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float* row = dy + (i * channels + c) * pixels;
      float part = 0.0f;
      for (int64_t j = 0; j < pixels; ++j) part += row[j];
      acc += part;
    }
    db[c] = static_cast<float>(acc);
  }
}

// Output rows lowered per GEMM: a band whose column matrix fits in about kBandBytes, so
// im2col writes and the GEMM reads it from cache rather than memory.
int64_t band_rows(const Lowering& l) {
  constexpr int64_t target = 512 * 1024;  // measured: 256 KiB..1 MiB all gain 20-30% at 128x128
  const int64_t row_bytes = l.c * l.k * l.k * l.gw * static_cast<int64_t>(sizeof(float));
  return std::clamp<int64_t>(target / std::max<int64_t>(1, row_bytes), 1, l.gh);
}

int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

// The scratch of one convolution call, carved from the caller's block:
//   band  the column matrix of one band of output rows   [kk, band_cols]
//   panel the AVX-512 GEMM's packed B panel               [max(kk, band_cols, c_out), 32]
//   wt    W transposed                                    [kk, c_out]
//   dyt   one band of dY transposed                       [band_cols, c_out]
//   dwt   dW transposed, accumulated over bands/images   [kk, c_out]
struct ConvScratch {
  float *band, *panel, *wt, *dyt, *dwt;
  int64_t total;
};

ConvScratch carve(const Conv2dShape& s, float* base) {
  const int64_t kk = checked_product({s.c_in, s.k, s.k});
  const int64_t band_cols = is_pointwise(s) ? 0 : checked_mul(band_rows(conv_lowering(s)), s.out_w());
  const int64_t sizes[5] = {round16(checked_mul(kk, band_cols)), round16(checked_mul(std::max({kk, band_cols, s.c_out}), 32)),
                            round16(checked_mul(kk, s.c_out)), round16(checked_mul(band_cols, s.c_out)),
                            round16(checked_mul(kk, s.c_out))};
  ConvScratch c{};
  float** slots[5] = {&c.band, &c.panel, &c.wt, &c.dyt, &c.dwt};
  int64_t offset = 0;
  for (int i = 0; i < 5; ++i) {
    *slots[i] = base ? base + offset : nullptr;
    offset += sizes[i];
  }
  c.total = offset;
  return c;
}

// dst[c][r] = src[r * ld + c] for r < rows, c < cols.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t ld, float* dst) {
  if (transpose_avx512(src, rows, cols, ld, dst)) return;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * ld + c];
}

// dx of a 3x3 stride-1 convolution is the 3x3 stride-1 convolution of dy with the flipped,
// channel-swapped weights: the Winograd forward computes it.
Conv2dShape input_grad_conv(const Conv2dShape& s) { return {s.n, s.c_out, s.h, s.w, s.c_in, s.k, 1}; }

}  // namespace

void flip_swap(const float* src, float* dst, int64_t a, int64_t b, int64_t k) {
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t ky = 0; ky < k; ++ky)
        for (int64_t kx = 0; kx < k; ++kx)
          dst[((j * a + i) * k + (k - 1 - ky)) * k + (k - 1 - kx)] = src[((i * b + j) * k + ky) * k + kx];
}

int64_t conv2d_scratch_floats(const Conv2dShape& s) {
  s.validate();
  const int64_t direct = carve(s, nullptr).total;
  if (!winograd_applies(s)) return direct;
  // Forward, or backward's dx (flipped weights, then the transposed convolution's scratch).
  const int64_t dx = round16(s.weight_size()) + winograd_scratch_floats(input_grad_conv(s));
  return std::max({direct, winograd_scratch_floats(s), dx});
}

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* scratch) {
  s.validate();
  if (winograd_applies(s)) return winograd_conv2d_forward(s, x, w, b, y, scratch);
  const Lowering l = conv_lowering(s);
  const int64_t kk = s.c_in * s.k * s.k, ow = s.out_w(), pix = s.out_h() * ow;
  const int64_t band = band_rows(l);
  const ConvScratch sc = carve(s, scratch);
  for (int64_t n = 0; n < s.n; ++n) {
    const float* xn = x + n * s.c_in * s.h * s.w;
    float* yn = y + n * s.c_out * pix;
    if (is_pointwise(s)) {
      // Y[:, block] = W * x[:, block] (+ b), then the activation over the block while it is in L2.
      // Without an activation and without AVX-512, one BLAS call for the image.
      const bool wide = have_avx512();
      const int64_t block = wide || s.act != Activation::none ? pointwise_block(s.c_out) : pix;
      for (int64_t j = 0; j < pix; j += block) {
        const int64_t cols = std::min(block, pix - j);
        if (!gemm_avx512(s.c_out, cols, kk, w, kk, xn + j, pix, yn + j, pix, b, false, sc.panel)) {
          sgemm(false, false, s.c_out, cols, kk, 1.0f, w, kk, xn + j, pix, 0.0f, yn + j, pix);
          if (b) add_bias_band(yn + j, b, s.c_out, cols, pix);
        }
        activate_rows(s.act, yn + j, s.c_out, cols, pix);
      }
      continue;
    }
    for (int64_t gy = 0; gy < l.gh; gy += band) {
      const int64_t rows = std::min(band, l.gh - gy), cols = rows * ow;
      im2col_rows(l, xn, sc.band, gy, gy + rows);
      // Y[:, band] = act(W[c_out, kk] * col[kk, band] (+ b)), written into the full-width output.
      if (!gemm_avx512(s.c_out, cols, kk, w, kk, sc.band, cols, yn + gy * ow, pix, b, false, sc.panel)) {
        sgemm(false, false, s.c_out, cols, kk, 1.0f, w, kk, sc.band, cols, 0.0f, yn + gy * ow, pix);
        if (b) add_bias_band(yn + gy * ow, b, s.c_out, cols, pix);
      }
      activate_rows(s.act, yn + gy * ow, s.c_out, cols, pix);
    }
  }
}

void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, float* scratch) {
  s.validate();
  check(s.act == Activation::none, "conv2d_backward: the activation epilogue is forward only (act must be none)");
  const Lowering l = conv_lowering(s);
  const int64_t kk = s.c_in * s.k * s.k, ow = s.out_w(), pix = s.out_h() * ow;
  const int64_t band = band_rows(l);
  const ConvScratch sc = carve(s, scratch);
  // The AVX-512 GEMM takes both products once they are arranged with kk as the row count.
  const bool wide = have_avx512() && !is_pointwise(s);
  if (db) bias_grad(dy, db, s.n, s.c_out, pix);
  if (winograd_applies(s)) {
    if (dx) {
      float* flipped = scratch;
      flip_swap(w, flipped, s.c_out, s.c_in, s.k);
      winograd_conv2d_forward(input_grad_conv(s), dy, flipped, nullptr, dx, scratch + round16(s.weight_size()));
    }
    if (dw) winograd_conv2d_weight_grad(s, x, dy, dw, scratch);
    return;
  }
  if (wide && dx) transpose(w, s.c_out, kk, kk, sc.wt);
  for (int64_t n = 0; n < s.n; ++n) {
    const float* xn = x + n * s.c_in * s.h * s.w;
    const float* dyn = dy + n * s.c_out * pix;
    float* dxn = dx ? dx + n * s.c_in * s.h * s.w : nullptr;
    if (is_pointwise(s)) {
      // dW[c_out, c_in] (+)= dY[c_out, pix] * x[c_in, pix]^T;  dx = W^T * dY
      if (dw) sgemm(false, true, s.c_out, kk, pix, 1.0f, dyn, pix, xn, pix, n == 0 ? 0.0f : 1.0f, dw, kk);
      if (dxn) sgemm(true, false, kk, pix, s.c_out, 1.0f, w, kk, dyn, pix, 0.0f, dxn, pix);
      continue;
    }
    if (dxn) std::fill(dxn, dxn + s.c_in * s.h * s.w, 0.0f);
    for (int64_t gy = 0; gy < l.gh; gy += band) {
      const int64_t rows = std::min(band, l.gh - gy), cols = rows * ow;
      const float* dyb = dyn + gy * ow;  // dY[:, band] with row stride pix
      const bool first = n == 0 && gy == 0;
      if (dw) {
        im2col_rows(l, xn, sc.band, gy, gy + rows);
        if (wide) {
          // dW^T[kk, c_out] (+)= col[kk, band] * dY[:, band]^T
          transpose(dyb, s.c_out, cols, pix, sc.dyt);
          gemm_avx512(kk, s.c_out, cols, sc.band, cols, sc.dyt, s.c_out, sc.dwt, s.c_out, nullptr, !first, sc.panel);
        } else {
          sgemm(false, true, s.c_out, kk, cols, 1.0f, dyb, pix, sc.band, cols, first ? 0.0f : 1.0f, dw, kk);
        }
      }
      if (dxn) {
        // dcol[kk, band] = W[c_out, kk]^T * dY[:, band], folded back onto the image.
        if (!wide || !gemm_avx512(kk, cols, s.c_out, sc.wt, s.c_out, dyb, pix, sc.band, cols, nullptr, false, sc.panel))
          sgemm(true, false, kk, cols, s.c_out, 1.0f, w, kk, dyb, pix, 0.0f, sc.band, cols);
        col2im_rows_add(l, sc.band, dxn, gy, gy + rows);
      }
    }
  }
  if (wide && dw) transpose(sc.dwt, kk, s.c_out, s.c_out, dw);
}

// Transposed convolution scratch: the column matrix [kk, h * w], the packed panel and W^T.
int64_t conv_transpose2d_scratch_floats(const ConvTranspose2dShape& s) {
  s.validate();
  const int64_t kk = checked_product({s.c_out, s.k, s.k});
  return round16(checked_product({kk, s.h, s.w})) + round16(checked_mul(std::max(kk, s.c_in), 32)) +
         round16(checked_mul(kk, s.c_in));
}

namespace {
struct ConvTScratch {
  float *col, *panel, *wt;
};
ConvTScratch carve(const ConvTranspose2dShape& s, float* base) {
  const int64_t kk = s.c_out * s.k * s.k;
  ConvTScratch c{base, nullptr, nullptr};
  c.panel = c.col + round16(kk * s.h * s.w);
  c.wt = c.panel + round16(std::max(kk, s.c_in) * 32);
  return c;
}
}  // namespace

void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                              float* y, float* scratch) {
  s.validate();
  const Lowering l = convt_lowering(s);
  const int64_t kk = s.c_out * s.k * s.k, pix = s.h * s.w, opix = s.out_h() * s.out_w();
  const ConvTScratch sc = carve(s, scratch);
  const bool wide = have_avx512();
  if (wide) transpose(w, s.c_in, kk, kk, sc.wt);
  for (int64_t n = 0; n < s.n; ++n) {
    // col[kk, pix] = W[c_in, kk]^T * x[c_in, pix], scattered onto the output image.
    const float* xn = x + n * s.c_in * pix;
    if (!wide || !gemm_avx512(kk, pix, s.c_in, sc.wt, s.c_in, xn, pix, sc.col, pix, nullptr, false, sc.panel))
      sgemm(true, false, kk, pix, s.c_in, 1.0f, w, kk, xn, pix, 0.0f, sc.col, pix);
    float* yn = y + n * s.c_out * opix;
    col2im(l, sc.col, yn);
    if (b) add_bias(yn, b, s.c_out, opix);
  }
}

void conv_transpose2d_backward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, float* scratch) {
  s.validate();
  const Lowering l = convt_lowering(s);
  const int64_t kk = s.c_out * s.k * s.k, pix = s.h * s.w, opix = s.out_h() * s.out_w();
  const ConvTScratch sc = carve(s, scratch);
  if (db) bias_grad(dy, db, s.n, s.c_out, opix);
  for (int64_t n = 0; n < s.n; ++n) {
    im2col(l, dy + n * s.c_out * opix, sc.col);  // dcol[kk, pix]
    // dx[c_in, pix] = W[c_in, kk] * dcol;  dW[c_in, kk] (+)= x[c_in, pix] * dcol^T
    float* dxn = dx ? dx + n * s.c_in * pix : nullptr;
    if (dxn && !gemm_avx512(s.c_in, pix, kk, w, kk, sc.col, pix, dxn, pix, nullptr, false, sc.panel))
      sgemm(false, false, s.c_in, pix, kk, 1.0f, w, kk, sc.col, pix, 0.0f, dxn, pix);
    if (dw) sgemm(false, true, s.c_in, kk, pix, 1.0f, x + n * s.c_in * pix, pix, sc.col, pix, n == 0 ? 0.0f : 1.0f,
                  dw, kk);
  }
}

}  // namespace strata::nn::fast
