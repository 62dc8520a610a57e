#include "geo/grid.h"

#include <algorithm>

#include "core/checked.h"

namespace strata::geo {

int64_t Window::pixels() const { return checked_mul(width, height); }

Window intersect(const Window& a, const Window& b) {
  const int64_t x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int64_t x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
  if (x1 <= x0 || y1 <= y0) return {x0, y0, 0, 0};
  return {x0, y0, x1 - x0, y1 - y0};
}

Grid Grid::sub(const Window& w) const {
  Grid g = *this;
  g.width = w.width;
  g.height = w.height;
  g.transform[0] = transform[0] + static_cast<double>(w.x) * transform[1] + static_cast<double>(w.y) * transform[2];
  g.transform[3] = transform[3] + static_cast<double>(w.x) * transform[4] + static_cast<double>(w.y) * transform[5];
  return g;
}

}  // namespace strata::geo
