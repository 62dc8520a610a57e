#pragma once
// The XYZ tile scheme of web maps (Leaflet, OpenStreetMap): Web Mercator (EPSG:3857), tile
// (0, 0) at the north-west corner, 2^z x 2^z tiles of 256 px at zoom z. Plain geometry.
#include <cstdint>

namespace strata::serve {

inline constexpr int kTileSize = 256;
inline constexpr int kMaxZoom = 24;
inline constexpr double kMercatorHalfWidth = 20037508.342789244;  // metres, pi * 6378137
inline constexpr double kMaxLatitude = 85.0511287798066;           // where Web Mercator's square ends

struct TileBounds {
  double min_x, min_y, max_x, max_y;  // EPSG:3857 metres
};

// True when z in [0, kMaxZoom] and x, y in [0, 2^z).
bool valid_tile(int64_t z, int64_t x, int64_t y);
TileBounds tile_bounds(int z, int64_t x, int64_t y);

}  // namespace strata::serve
