#include "pipeline/predict_tiles.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace strata::pipeline {

namespace {
int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }
}  // namespace

int64_t auto_halo(int64_t receptive_radius, int64_t multiple) { return round_up(receptive_radius, multiple); }

std::vector<TileGeometry> plan_tiles(int64_t width, int64_t height, int64_t tile, int64_t halo, int64_t multiple) {
  if (multiple < 1) throw Error("plan_tiles: spatial multiple must be >= 1");
  if (tile < multiple || tile % multiple != 0)
    throw UsageError("--tile must be a positive multiple of " + std::to_string(multiple) + " for this model, not " +
                     std::to_string(tile));
  if (halo < 0 || halo % multiple != 0)
    throw UsageError("--halo must be a non-negative multiple of " + std::to_string(multiple) + " for this model, not " +
                     std::to_string(halo));
  std::vector<TileGeometry> tiles;
  const geo::Window full{0, 0, width, height};
  for (int64_t y = 0; y < height; y += tile)
    for (int64_t x = 0; x < width; x += tile) {
      TileGeometry g;
      g.tile = geo::intersect({x, y, tile, tile}, full);
      g.input = geo::intersect({x - halo, y - halo, tile + 2 * halo, tile + 2 * halo}, full);
      g.padded_width = round_up(g.input.width, multiple);
      g.padded_height = round_up(g.input.height, multiple);
      tiles.push_back(g);
    }
  return tiles;
}

template <class T>
void pad_replicate(const T* in, int64_t bands, int64_t ih, int64_t iw, int64_t ph, int64_t pw, T* out) {
  for (int64_t b = 0; b < bands; ++b)
    for (int64_t y = 0; y < ph; ++y) {
      const T* src = in + (b * ih + std::min(y, ih - 1)) * iw;
      T* dst = out + (b * ph + y) * pw;
      std::memcpy(dst, src, static_cast<size_t>(iw) * sizeof(T));
      std::fill(dst + iw, dst + pw, src[iw - 1]);
    }
}

template void pad_replicate<uint16_t>(const uint16_t*, int64_t, int64_t, int64_t, int64_t, int64_t, uint16_t*);
template void pad_replicate<uint8_t>(const uint8_t*, int64_t, int64_t, int64_t, int64_t, int64_t, uint8_t*);

}  // namespace strata::pipeline
