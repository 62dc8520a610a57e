#include "nn/ops/max_pool.h"

#include <algorithm>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t PoolShape::input_size() const { return checked_product({n, c, h, w}); }
int64_t PoolShape::output_size() const { return checked_product({n, c, out_h(), out_w()}); }

void PoolShape::validate() const {
  check(n > 0 && c > 0 && h >= 2 && w >= 2, "max_pool2x2: need n, c > 0 and h, w >= 2");
  (void)input_size();
}

namespace {
// Index (into x) of the first maximum of the 2x2 window under output pixel (plane, oy, ox).
int64_t argmax2x2(const PoolShape& s, const float* x, int64_t plane, int64_t oy, int64_t ox) {
  int64_t best = (plane * s.h + 2 * oy) * s.w + 2 * ox;
  for (int64_t dy = 0; dy < 2; ++dy)
    for (int64_t dx = 0; dx < 2; ++dx) {
      const int64_t i = (plane * s.h + 2 * oy + dy) * s.w + 2 * ox + dx;
      if (x[i] > x[best]) best = i;
    }
  return best;
}
}  // namespace

void max_pool2x2_forward_reference(const PoolShape& s, const float* x, float* y) {
  s.validate();
  const int64_t oh = s.out_h(), ow = s.out_w();
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) y[(p * oh + oy) * ow + ox] = x[argmax2x2(s, x, p, oy, ox)];
}

void max_pool2x2_backward_reference(const PoolShape& s, const float* x, const float* dy, float* dx) {
  s.validate();
  const int64_t oh = s.out_h(), ow = s.out_w();
  std::fill(dx, dx + s.input_size(), 0.0f);
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) dx[argmax2x2(s, x, p, oy, ox)] += dy[(p * oh + oy) * ow + ox];
}

}  // namespace strata::nn
