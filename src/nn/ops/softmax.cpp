#include "nn/ops/softmax.h"

#include <cmath>

namespace strata::nn {

void softmax_channels_reference(const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < hw; ++i) {
      const float* xp = x + b * c * hw + i;
      float* yp = y + b * c * hw + i;
      float mx = xp[0];
      for (int64_t k = 1; k < c; ++k) mx = std::fmax(mx, xp[k * hw]);
      double sum = 0.0;
      for (int64_t k = 0; k < c; ++k) sum += std::exp(static_cast<double>(xp[k * hw] - mx));
      for (int64_t k = 0; k < c; ++k) yp[k * hw] = static_cast<float>(std::exp(static_cast<double>(xp[k * hw] - mx)) / sum);
    }
}

}  // namespace strata::nn
