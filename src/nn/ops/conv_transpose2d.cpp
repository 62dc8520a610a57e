#include "nn/ops/conv_transpose2d.h"

#include <algorithm>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t ConvTranspose2dShape::input_size() const { return checked_product({n, c_in, h, w}); }
int64_t ConvTranspose2dShape::weight_size() const { return checked_product({c_in, c_out, k, k}); }
int64_t ConvTranspose2dShape::output_size() const { return checked_product({n, c_out, out_h(), out_w()}); }

void ConvTranspose2dShape::validate() const {
  check(n > 0 && c_in > 0 && h > 0 && w > 0 && c_out > 0 && k > 0 && stride > 0,
        "conv_transpose2d: every dimension must be > 0");
  check(pad >= 0 && pad < k, "conv_transpose2d: padding must be in [0, k)");
  check(out_h() > 0 && out_w() > 0, "conv_transpose2d: empty output");
  (void)input_size(), (void)weight_size(), (void)output_size();
}

// Both directions walk the same (input pixel, kernel tap) -> output pixel map.
void conv_transpose2d_forward_reference(const ConvTranspose2dShape& s, const float* x, const float* w,
                                        const float* b, float* y) {
  s.validate();
  const int64_t oh = s.out_h(), ow = s.out_w();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t co = 0; co < s.c_out; ++co)
      std::fill(y + (n * s.c_out + co) * oh * ow, y + (n * s.c_out + co + 1) * oh * ow, b ? b[co] : 0.0f);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t ci = 0; ci < s.c_in; ++ci)
      for (int64_t iy = 0; iy < s.h; ++iy)
        for (int64_t ix = 0; ix < s.w; ++ix) {
          const float v = x[((n * s.c_in + ci) * s.h + iy) * s.w + ix];
          for (int64_t co = 0; co < s.c_out; ++co)
            for (int64_t ky = 0; ky < s.k; ++ky)
              for (int64_t kx = 0; kx < s.k; ++kx) {
                const int64_t oy = iy * s.stride - s.pad + ky, ox = ix * s.stride - s.pad + kx;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                y[((n * s.c_out + co) * oh + oy) * ow + ox] += v * w[((ci * s.c_out + co) * s.k + ky) * s.k + kx];
              }
        }
}

void conv_transpose2d_backward_reference(const ConvTranspose2dShape& s, const float* x, const float* w,
                                         const float* dy, float* dx, float* dw, float* db) {
  s.validate();
  const int64_t oh = s.out_h(), ow = s.out_w();
  if (dw) std::fill(dw, dw + s.weight_size(), 0.0f);
  if (db) {
    std::fill(db, db + s.c_out, 0.0f);
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t co = 0; co < s.c_out; ++co)
        for (int64_t i = 0; i < oh * ow; ++i) db[co] += dy[(n * s.c_out + co) * oh * ow + i];
  }
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t ci = 0; ci < s.c_in; ++ci)
      for (int64_t iy = 0; iy < s.h; ++iy)
        for (int64_t ix = 0; ix < s.w; ++ix) {
          const int64_t xi = ((n * s.c_in + ci) * s.h + iy) * s.w + ix;
          double gx = 0.0;
          for (int64_t co = 0; co < s.c_out; ++co)
            for (int64_t ky = 0; ky < s.k; ++ky)
              for (int64_t kx = 0; kx < s.k; ++kx) {
                const int64_t oy = iy * s.stride - s.pad + ky, ox = ix * s.stride - s.pad + kx;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                const float g = dy[((n * s.c_out + co) * oh + oy) * ow + ox];
                const int64_t wi = ((ci * s.c_out + co) * s.k + ky) * s.k + kx;
                gx += static_cast<double>(g) * w[wi];
                if (dw) dw[wi] += g * x[xi];
              }
          if (dx) dx[xi] = static_cast<float>(gx);
        }
}

}  // namespace strata::nn
