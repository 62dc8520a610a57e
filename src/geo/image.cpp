#include "geo/image.h"

#include <algorithm>

#include "core/checked.h"

namespace strata::geo {

Image::Image(int64_t w, int64_t h, RGBA fill)
    : width(w), height(h), pixels(static_cast<size_t>(checked_mul(w, h)), fill) {}

void fill_rect(Image& dst, int64_t x, int64_t y, int64_t w, int64_t h, RGBA colour) {
  const int64_t x0 = std::max<int64_t>(0, x), y0 = std::max<int64_t>(0, y);
  const int64_t x1 = std::min(dst.width, x + w), y1 = std::min(dst.height, y + h);
  for (int64_t r = y0; r < y1; ++r)
    for (int64_t c = x0; c < x1; ++c) dst.at(c, r) = colour;
}

void blit(Image& dst, const Image& src, int64_t x, int64_t y) {
  const int64_t x0 = std::max<int64_t>(0, x), y0 = std::max<int64_t>(0, y);
  const int64_t x1 = std::min(dst.width, x + src.width), y1 = std::min(dst.height, y + src.height);
  for (int64_t r = y0; r < y1; ++r)
    for (int64_t c = x0; c < x1; ++c) dst.at(c, r) = src.at(c - x, r - y);
}

}  // namespace strata::geo
