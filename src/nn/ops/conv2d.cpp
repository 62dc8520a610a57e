#include "nn/ops/conv2d.h"

#include <algorithm>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t Conv2dShape::input_size() const { return checked_product({n, c_in, h, w}); }
int64_t Conv2dShape::weight_size() const { return checked_product({c_out, c_in, k, k}); }
int64_t Conv2dShape::output_size() const { return checked_product({n, c_out, out_h(), out_w()}); }

void Conv2dShape::validate() const {
  check(n > 0 && c_in > 0 && h > 0 && w > 0 && c_out > 0, "conv2d: every dimension must be > 0");
  if (k <= 0 || k % 2 == 0) throw Error("conv2d: kernel size must be odd for same padding, got " + std::to_string(k));
  if (stride != 1 && stride != 2) throw Error("conv2d: stride must be 1 or 2, got " + std::to_string(stride));
  (void)input_size(), (void)weight_size(), (void)output_size();
}

void conv2d_forward_reference(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
  s.validate();
  const int64_t oh = s.out_h(), ow = s.out_w(), p = s.pad();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t co = 0; co < s.c_out; ++co)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = b ? b[co] : 0.0;
          for (int64_t ci = 0; ci < s.c_in; ++ci)
            for (int64_t ky = 0; ky < s.k; ++ky)
              for (int64_t kx = 0; kx < s.k; ++kx) {
                const int64_t iy = oy * s.stride - p + ky, ix = ox * s.stride - p + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                acc += static_cast<double>(x[((n * s.c_in + ci) * s.h + iy) * s.w + ix]) *
                       w[((co * s.c_in + ci) * s.k + ky) * s.k + kx];
              }
          y[((n * s.c_out + co) * oh + oy) * ow + ox] = apply_activation(s.act, static_cast<float>(acc));
        }
}

void conv2d_backward_reference(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx,
                               float* dw, float* db) {
  s.validate();
  check(s.act == Activation::none, "conv2d_backward: the activation epilogue is forward only (act must be none)");
  const int64_t oh = s.out_h(), ow = s.out_w(), p = s.pad();
  if (dx) std::fill(dx, dx + s.input_size(), 0.0f);
  if (dw) std::fill(dw, dw + s.weight_size(), 0.0f);
  if (db) std::fill(db, db + s.c_out, 0.0f);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t co = 0; co < s.c_out; ++co)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const float g = dy[((n * s.c_out + co) * oh + oy) * ow + ox];
          if (db) db[co] += g;
          for (int64_t ci = 0; ci < s.c_in; ++ci)
            for (int64_t ky = 0; ky < s.k; ++ky)
              for (int64_t kx = 0; kx < s.k; ++kx) {
                const int64_t iy = oy * s.stride - p + ky, ix = ox * s.stride - p + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const int64_t xi = ((n * s.c_in + ci) * s.h + iy) * s.w + ix;
                const int64_t wi = ((co * s.c_in + ci) * s.k + ky) * s.k + kx;
                if (dw) dw[wi] += g * x[xi];
                if (dx) dx[xi] += g * w[wi];
              }
        }
}

}  // namespace strata::nn
