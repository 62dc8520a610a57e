#include "nn/fast/conv_gemm.h"

#include <algorithm>

#include "core/checked.h"
#include "nn/fast/gemm.h"
#include "nn/fast/gemm_avx512.h"
#include "nn/fast/im2col.h"

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

int64_t band_floats(const Conv2dShape& s) {
  if (s.k == 1 && s.stride == 1) return 0;
  return (checked_product({s.c_in, s.k, s.k, band_rows(conv_lowering(s)), s.out_w()}) + 15) / 16 * 16;
}

}  // namespace

int64_t conv2d_scratch_floats(const Conv2dShape& s) {
  s.validate();
  // The column band, then the AVX-512 GEMM's packed B panel.
  return band_floats(s) + gemm_panel_floats(s.c_in * s.k * s.k);
}

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* scratch) {
  s.validate();
  const Lowering l = conv_lowering(s);
  const int64_t kk = s.c_in * s.k * s.k, ow = s.out_w(), pix = s.out_h() * ow;
  const int64_t band = band_rows(l);
  float* panel = scratch + band_floats(s);
  for (int64_t n = 0; n < s.n; ++n) {
    const float* xn = x + n * s.c_in * s.h * s.w;
    float* yn = y + n * s.c_out * pix;
    if (is_pointwise(s)) {
      if (!gemm_avx512(s.c_out, pix, kk, w, kk, xn, pix, yn, pix, b, false, panel)) {
        sgemm(false, false, s.c_out, pix, kk, 1.0f, w, kk, xn, pix, 0.0f, yn, pix);
        if (b) add_bias(yn, b, s.c_out, pix);
      }
      continue;
    }
    for (int64_t gy = 0; gy < l.gh; gy += band) {
      const int64_t rows = std::min(band, l.gh - gy), cols = rows * ow;
      im2col_rows(l, xn, scratch, gy, gy + rows);
      // Y[:, band] = W[c_out, kk] * col[kk, band] (+ b), written into the full-width output.
      if (!gemm_avx512(s.c_out, cols, kk, w, kk, scratch, cols, yn + gy * ow, pix, b, false, panel)) {
        sgemm(false, false, s.c_out, cols, kk, 1.0f, w, kk, scratch, cols, 0.0f, yn + gy * ow, pix);
        if (b) add_bias_band(yn + gy * ow, b, s.c_out, cols, pix);
      }
    }
  }
}

void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, float* scratch) {
  s.validate();
  const Lowering l = conv_lowering(s);
  const int64_t kk = s.c_in * s.k * s.k, ow = s.out_w(), pix = s.out_h() * ow;
  const int64_t band = band_rows(l);
  if (db) bias_grad(dy, db, s.n, s.c_out, pix);
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
      if (dw) {
        im2col_rows(l, xn, scratch, gy, gy + rows);
        sgemm(false, true, s.c_out, kk, cols, 1.0f, dyb, pix, scratch, cols, n == 0 && gy == 0 ? 0.0f : 1.0f, dw, kk);
      }
      if (dxn) {
        // dcol[kk, band] = W[c_out, kk]^T * dY[:, band], folded back onto the image.
        sgemm(true, false, kk, cols, s.c_out, 1.0f, w, kk, dyb, pix, 0.0f, scratch, cols);
        col2im_rows_add(l, scratch, dxn, gy, gy + rows);
      }
    }
  }
}

int64_t conv_transpose2d_scratch_floats(const ConvTranspose2dShape& s) {
  s.validate();
  return checked_product({s.c_out, s.k, s.k, s.h, s.w});
}

void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                              float* y, float* scratch) {
  s.validate();
  const Lowering l = convt_lowering(s);
  const int64_t kk = s.c_out * s.k * s.k, pix = s.h * s.w, opix = s.out_h() * s.out_w();
  for (int64_t n = 0; n < s.n; ++n) {
    // col[kk, pix] = W[c_in, kk]^T * x[c_in, pix], scattered onto the output image.
    sgemm(true, false, kk, pix, s.c_in, 1.0f, w, kk, x + n * s.c_in * pix, pix, 0.0f, scratch, pix);
    float* yn = y + n * s.c_out * opix;
    col2im(l, scratch, yn);
    if (b) add_bias(yn, b, s.c_out, opix);
  }
}

void conv_transpose2d_backward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* dy,
                               float* dx, float* dw, float* db, float* scratch) {
  s.validate();
  const Lowering l = convt_lowering(s);
  const int64_t kk = s.c_out * s.k * s.k, pix = s.h * s.w, opix = s.out_h() * s.out_w();
  if (db) bias_grad(dy, db, s.n, s.c_out, opix);
  for (int64_t n = 0; n < s.n; ++n) {
    im2col(l, dy + n * s.c_out * opix, scratch);  // dcol[kk, pix]
    // dx[c_in, pix] = W[c_in, kk] * dcol;  dW[c_in, kk] (+)= x[c_in, pix] * dcol^T
    if (dx) sgemm(false, false, s.c_in, pix, kk, 1.0f, w, kk, scratch, pix, 0.0f, dx + n * s.c_in * pix, pix);
    if (dw) sgemm(false, true, s.c_in, kk, pix, 1.0f, x + n * s.c_in * pix, pix, scratch, pix, n == 0 ? 0.0f : 1.0f,
                  dw, kk);
  }
}

}  // namespace strata::nn::fast
