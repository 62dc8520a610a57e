#pragma once
// The one product behind every convolution: an implicit GEMM (no im2col in memory) whose
// reduction runs over (input channel, kernel tap) and whose columns are output pixels. The four
// "conv-like" products of conv2d and conv_transpose2d (forward and input gradient of each) are
// ConvProducts; the two weight gradients are WeightGradProducts. conv_roles.h says which tensor
// plays which role in each. The operand and store functions run on the host too, so that
// tests/test_conv_roles.cpp checks those roles against the CPU references without a GPU.
#include <cstdint>

#include "core/host_device.h"
#include "kernels/launch.cuh"

namespace strata::cuda {

// The gathered operand. Row `tap` = (c, ky, kx) of column `pixel` = (n, oy, ox) reads src
// [n][c][in_h][in_w] at
//   forward:    iy = oy * stride - pad + ky                      (conv y; transposed conv dx)
//   transposed: iy = (oy + pad - ky) / stride where that divides  (conv dx; transposed conv y)
// (and ix likewise), 0 outside src. The columns cover n images of out_h x out_w pixels.
struct Gather {
  const float* src = nullptr;
  int n = 1, c = 1, in_h = 1, in_w = 1, out_h = 1, out_w = 1, k = 1, stride = 1, pad = 0;
  bool transposed = false;
  STRATA_HOST_DEVICE int taps() const { return c * k * k; }
  STRATA_HOST_DEVICE int pixels() const { return n * out_h * out_w; }

  STRATA_HOST_DEVICE float operator()(int tap, int pixel) const {
    const int kk = k * k, ohw = out_h * out_w;
    const int ci = tap / kk, t = tap - ci * kk, ky = t / k, kx = t - ky * k;
    const int img = pixel / ohw, r = pixel - img * ohw, oy = r / out_w, ox = r - oy * out_w;
    int iy, ix;
    if (!transposed) {
      iy = oy * stride - pad + ky;
      ix = ox * stride - pad + kx;
    } else {
      const int ty = oy + pad - ky, tx = ox + pad - kx;
      if (ty < 0 || tx < 0 || ty % stride != 0 || tx % stride != 0) return 0.0f;
      iy = ty / stride;
      ix = tx / stride;
    }
    if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) return 0.0f;
    return src[((img * c + ci) * in_h + iy) * in_w + ix];
  }
};

// The weight operand of a conv-like product: W(m, tap = (c, t)) = w[m * m_stride + c * c_stride + t],
// t the k x k tap. Strides pick conv's [c_out][c_in] or transposed conv's [c_in][c_out] layout
// and either of its two channel axes as the output one.
struct Weights {
  const float* w = nullptr;
  int m_stride = 0, c_stride = 0, kk = 1;
  STRATA_HOST_DEVICE float operator()(int m, int tap) const {
    const int c = tap / kk;
    return w[m * m_stride + c * c_stride + (tap - c * kk)];
  }
};

// out[n][m][pixel] = bias[m] (or 0) + sum over tap of W(m, tap) * G(tap, (n, pixel)).
struct ConvProduct {
  Weights w;
  Gather g;
  int m = 1;                     // output channels
  float* out = nullptr;          // [g.n][m][g.out_h * g.out_w]
  const float* bias = nullptr;   // [m] or null

  // Writes the product's (row, col) = (output channel, (n, pixel)) plus the bias.
  STRATA_HOST_DEVICE void store(int row, int col, float v) const {
    const int plane = g.out_h * g.out_w, img = col / plane;
    out[(img * m + row) * plane + (col - img * plane)] = v + (bias ? bias[row] : 0.0f);
  }
};

// dw[m][tap] = sum over (n, pixel) of a[n][m][pixel] * G(tap, (n, pixel)); a's pixel grid is g's
// output grid. The sum over the batch is split across blocks (split-K) into partial products in
// workspace scratch, then added in a fixed order: deterministic.
struct WeightGradProduct {
  const float* a = nullptr;  // [g.n][m][g.out_h * g.out_w]
  int m = 1;
  Gather g;
  float* dw = nullptr;  // [m][g.taps()]

  // The left operand at (row, col) = (channel of a, (n, pixel)).
  STRATA_HOST_DEVICE float activation(int row, int col) const {
    const int plane = g.out_h * g.out_w, img = col / plane;
    return a[(img * m + row) * plane + (col - img * plane)];
  }
};

// fp32 on CUDA cores, or tf32 / bf16 on tensor cores (conv_tensor_core.cu), by ctx.precision.
void conv_product(const Launch& ctx, const ConvProduct& p);
void conv_product_tensor_core(const Launch& ctx, const ConvProduct& p);
// Always fp32 (the reduction over the whole batch is long; precision is not worth losing there).
void weight_grad_product(const Launch& ctx, const WeightGradProduct& p);
// db[c] = sum over n and pixels of dy[n][c][pixel].
void bias_grad(const Launch& ctx, const float* dy, int64_t n, int64_t c, int64_t hw, float* db);

}  // namespace strata::cuda
