#include "nn/ops/upsample.h"

namespace strata::nn {

void upsample2x_forward_reference(const float* x, float* y, int64_t planes, int64_t h, int64_t w) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < 2 * h; ++oy)
      for (int64_t ox = 0; ox < 2 * w; ++ox) y[(p * 2 * h + oy) * 2 * w + ox] = x[(p * h + oy / 2) * w + ox / 2];
}

void upsample2x_backward_reference(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t iy = 0; iy < h; ++iy)
      for (int64_t ix = 0; ix < w; ++ix) {
        float sum = 0.0f;
        for (int64_t a = 0; a < 2; ++a)
          for (int64_t b = 0; b < 2; ++b) sum += dy[(p * 2 * h + 2 * iy + a) * 2 * w + 2 * ix + b];
        dx[(p * h + iy) * w + ix] = sum;
      }
}

}  // namespace strata::nn
