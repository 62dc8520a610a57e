#include "serve/web_mercator.h"

namespace strata::serve {

bool valid_tile(int64_t z, int64_t x, int64_t y) {
  if (z < 0 || z > kMaxZoom) return false;
  const int64_t n = int64_t{1} << z;
  return x >= 0 && x < n && y >= 0 && y < n;
}

TileBounds tile_bounds(int z, int64_t x, int64_t y) {
  const double size = 2 * kMercatorHalfWidth / static_cast<double>(int64_t{1} << z);
  const double min_x = -kMercatorHalfWidth + static_cast<double>(x) * size;
  const double max_y = kMercatorHalfWidth - static_cast<double>(y) * size;
  return {min_x, max_y - size, min_x + size, max_y};
}

}  // namespace strata::serve
