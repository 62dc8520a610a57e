#pragma once
// What `strata render` draws around a map: the legend of Dynamic World's classes beside it and
// the date as a caption on it, in the built-in bitmap font.
#include <string>

#include "geo/image.h"

namespace strata::pipeline {

// The size of text and swatches: 1 for maps below 512 pixels, else 2.
int decoration_scale(const geo::Image& map);

// An opaque white panel: a swatch and the name of each of the 9 classes; for confidence maps, a
// dark-to-bright ramp from 0 to 1 below them.
geo::Image legend_panel(bool confidence, int scale);

// The map with the panel on its right; transparent where neither reaches.
geo::Image beside(const geo::Image& map, const geo::Image& panel);

// White text on a black box in the map's top-left corner.
void draw_caption(geo::Image& map, const std::string& text, int scale);

}  // namespace strata::pipeline
