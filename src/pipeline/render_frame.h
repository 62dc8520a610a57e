#pragma once
// One input of `strata render` drawn on a quick-look grid: the map alone, without legend or
// caption (render_legend.h adds those).
#include <string>

#include "geo/image.h"
#include "geo/raster.h"
#include "pipeline/render.h"

namespace strata::pipeline {

// The input's extent at a resolution whose longest side is at most max_size pixels.
geo::Grid quicklook_grid(const geo::Grid& grid, int64_t max_size);

struct Frame {
  geo::Image map;
  std::string kind;  // "true colour" | "labels" | "confidence"
};

// Whether the raster is drawn as a label map (a prediction or a one-band 8-bit raster) rather
// than a scene in true colour.
bool is_label_map(const geo::Raster& r);
// A label map in Dynamic World's classes (its colour table is their palette, or it has none):
// the one the legend describes.
bool is_dynamic_world_map(const geo::Raster& r);

// `input` read onto `target` (nearest for labels, average for a scene).
Frame render_frame(const geo::Raster& input, const geo::Grid& target, const RenderOptions& options);

}  // namespace strata::pipeline
