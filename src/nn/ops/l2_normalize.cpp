#include "nn/ops/l2_normalize.h"

#include <algorithm>
#include <cmath>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t L2NormalizeShape::size() const { return checked_product({n, c, hw}); }

void L2NormalizeShape::validate() const {
  check(n > 0 && c > 0 && hw > 0 && eps > 0.0f, "l2_normalize: need n, c, hw > 0 and eps > 0");
  (void)size();
}

void l2_normalize_forward_reference(const L2NormalizeShape& s, const float* x, float* y) {
  s.validate();
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t i = 0; i < s.hw; ++i) {
      const float* xp = x + b * s.c * s.hw + i;
      float* yp = y + b * s.c * s.hw + i;
      double sum = 0.0;
      for (int64_t k = 0; k < s.c; ++k) sum += static_cast<double>(xp[k * s.hw]) * xp[k * s.hw];
      const double norm = std::sqrt(std::max(sum, static_cast<double>(s.eps)));
      for (int64_t k = 0; k < s.c; ++k) yp[k * s.hw] = static_cast<float>(xp[k * s.hw] / norm);
    }
}

void l2_normalize_backward_reference(const L2NormalizeShape& s, const float* x, const float* dy, float* dx) {
  s.validate();
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t i = 0; i < s.hw; ++i) {
      const int64_t at = b * s.c * s.hw + i;
      double sum = 0.0, dot = 0.0;
      for (int64_t k = 0; k < s.c; ++k) {
        const double v = x[at + k * s.hw];
        sum += v * v;
        dot += v * dy[at + k * s.hw];
      }
      if (sum > static_cast<double>(s.eps)) {
        const double norm = std::sqrt(sum), along = dot / sum;
        for (int64_t k = 0; k < s.c; ++k)
          dx[at + k * s.hw] = static_cast<float>((dy[at + k * s.hw] - x[at + k * s.hw] * along) / norm);
      } else {  // the norm is the constant sqrt(eps) here
        const double norm = std::sqrt(static_cast<double>(s.eps));
        for (int64_t k = 0; k < s.c; ++k) dx[at + k * s.hw] = static_cast<float>(dy[at + k * s.hw] / norm);
      }
    }
}

}  // namespace strata::nn
