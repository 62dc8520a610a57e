#pragma once
// A map tile: 256 x 256 px of one catalog map in Web Mercator, drawn from the map's own pixels
// by nearest neighbour (zoomed out, GDAL reads predict's overviews, themselves built by nearest):
// class labels are picked, never blended.
//   label          Dynamic World's palette
//   prob/<class>   the class's probability through a fixed ramp (prob_ramp)
//   top1           the label's colour times its probability: sure pixels bright, unsure dark
//   change/<to>    from this map's date to <to>: a changed pixel in its new class's colour, an
//                  unchanged one in a pale tint (the colours of strata change's change.tif)
//   rgb            the date's Sentinel-2 scene in true colour (B4, B3, B2; DN 0..3000 -> 0..255)
// No data and pixels off the map are transparent.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/image.h"
#include "serve/catalog.h"
#include "serve/map_reader.h"
#include "serve/web_mercator.h"

namespace strata::serve {

struct Layer {
  enum class Kind { label, probability, top1, change, rgb } kind = Kind::label;
  int cls = -1;                    // probability: the class
  const MapEntry* to = nullptr;    // change: the later map
  std::string name() const;        // as in the URL: label, prob/water, top1, change/2021-07-16, rgb
};

// The ramp prob/<class> tiles use: p in [0, 1] -> colour (viridis, 10 stops, linear between).
geo::RGBA prob_ramp(double p);
const std::vector<std::array<uint8_t, 3>>& prob_ramp_stops();

// An area of Web Mercator drawn at width x height px (tiles, timelapse frames).
struct View {
  TileBounds mercator;
  int width = 256, height = 256;
};
geo::Image render_view(MapReader& reader, const MapEntry& map, const Layer& layer, const View& view);
geo::Image render_tile(MapReader& reader, const MapEntry& map, const Layer& layer, int z, int64_t x, int64_t y);

}  // namespace strata::serve
