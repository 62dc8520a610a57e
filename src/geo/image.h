#pragma once
// An 8-bit RGBA image in memory, what render draws into and the PNG and GIF writers take.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::geo {

struct RGBA {
  uint8_t r = 0, g = 0, b = 0, a = 255;
  bool operator==(const RGBA&) const = default;
};

struct Image {
  int64_t width = 0, height = 0;
  std::vector<RGBA> pixels;  // row-major, interleaved

  Image() = default;
  Image(int64_t width, int64_t height, RGBA fill = {0, 0, 0, 0});
  RGBA& at(int64_t x, int64_t y) { return pixels[static_cast<size_t>(y * width + x)]; }
  const RGBA& at(int64_t x, int64_t y) const { return pixels[static_cast<size_t>(y * width + x)]; }
};

// Both clip to the destination.
void fill_rect(Image& dst, int64_t x, int64_t y, int64_t width, int64_t height, RGBA colour);
void blit(Image& dst, const Image& src, int64_t x, int64_t y);

}  // namespace strata::geo
