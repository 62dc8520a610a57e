#include "nn/ops/depthwise_conv2d.h"

#include <string>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t DepthwiseConv2dShape::size() const { return checked_product({n, c, h, w}); }
int64_t DepthwiseConv2dShape::weight_size() const { return checked_product({c, k, k}); }

void DepthwiseConv2dShape::validate() const {
  check(n > 0 && c > 0 && h > 0 && w > 0, "depthwise_conv2d: every dimension must be > 0");
  if (k <= 0 || k % 2 == 0)
    throw Error("depthwise_conv2d: kernel size must be odd for same padding, got " + std::to_string(k));
  (void)size(), (void)weight_size();
}

// Every output is one sum in double over its k x k window; taps outside the image are zero.
void depthwise_conv2d_forward_reference(const DepthwiseConv2dShape& s, const float* x, const float* w,
                                        const float* b, float* y) {
  s.validate();
  const int64_t p = s.pad();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c) {
      const float* xp = x + (n * s.c + c) * s.h * s.w;
      const float* wc = w + c * s.k * s.k;
      float* yp = y + (n * s.c + c) * s.h * s.w;
      for (int64_t oy = 0; oy < s.h; ++oy)
        for (int64_t ox = 0; ox < s.w; ++ox) {
          double acc = b ? b[c] : 0.0;
          for (int64_t ky = 0; ky < s.k; ++ky)
            for (int64_t kx = 0; kx < s.k; ++kx) {
              const int64_t iy = oy - p + ky, ix = ox - p + kx;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              acc += static_cast<double>(xp[iy * s.w + ix]) * wc[ky * s.k + kx];
            }
          yp[oy * s.w + ox] = apply_activation(s.act, static_cast<float>(acc));
        }
    }
}

// Each gradient is gathered (one sum in double per element written):
//   dx[iy, ix]   = sum_{ky, kx} dy[iy + p - ky, ix + p - kx] * w[ky, kx]
//   dw[c, ky, kx] = sum_{n, oy, ox} dy[n, c, oy, ox] * x[n, c, oy - p + ky, ox - p + kx]
//   db[c]        = sum_{n, oy, ox} dy[n, c, oy, ox]
void depthwise_conv2d_backward_reference(const DepthwiseConv2dShape& s, const float* x, const float* w,
                                         const float* dy, float* dx, float* dw, float* db) {
  s.validate();
  check(s.act == Activation::none,
        "depthwise_conv2d_backward: the activation epilogue is forward only (act must be none)");
  const int64_t p = s.pad(), plane = s.h * s.w;
  if (dx)
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t c = 0; c < s.c; ++c) {
        const float* g = dy + (n * s.c + c) * plane;
        const float* wc = w + c * s.k * s.k;
        float* d = dx + (n * s.c + c) * plane;
        for (int64_t iy = 0; iy < s.h; ++iy)
          for (int64_t ix = 0; ix < s.w; ++ix) {
            double acc = 0.0;
            for (int64_t ky = 0; ky < s.k; ++ky)
              for (int64_t kx = 0; kx < s.k; ++kx) {
                const int64_t oy = iy + p - ky, ox = ix + p - kx;
                if (oy < 0 || oy >= s.h || ox < 0 || ox >= s.w) continue;
                acc += static_cast<double>(g[oy * s.w + ox]) * wc[ky * s.k + kx];
              }
            d[iy * s.w + ix] = static_cast<float>(acc);
          }
      }
  for (int64_t c = 0; c < s.c; ++c) {
    if (dw)
      for (int64_t ky = 0; ky < s.k; ++ky)
        for (int64_t kx = 0; kx < s.k; ++kx) {
          double acc = 0.0;
          for (int64_t n = 0; n < s.n; ++n) {
            const float* g = dy + (n * s.c + c) * plane;
            const float* xp = x + (n * s.c + c) * plane;
            for (int64_t oy = 0; oy < s.h; ++oy)
              for (int64_t ox = 0; ox < s.w; ++ox) {
                const int64_t iy = oy - p + ky, ix = ox - p + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                acc += static_cast<double>(g[oy * s.w + ox]) * xp[iy * s.w + ix];
              }
          }
          dw[(c * s.k + ky) * s.k + kx] = static_cast<float>(acc);
        }
    if (db) {
      double acc = 0.0;
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t i = 0; i < plane; ++i) acc += dy[(n * s.c + c) * plane + i];
      db[c] = static_cast<float>(acc);
    }
  }
}

}  // namespace strata::nn
