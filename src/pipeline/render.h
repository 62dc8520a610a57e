#pragma once
// Quick-look PNGs: a Sentinel-2 scene in true colour with a percentile stretch, or a label
// raster through its colour table (Dynamic World's palette when it has none).
#include <cstdint>
#include <string>
#include <vector>

namespace strata::pipeline {

struct RenderOptions {
  std::string input, output;
  std::vector<std::string> rgb_bands{"B4", "B3", "B2"};
  int64_t max_size = 1024;
  double stretch_low = 2, stretch_high = 98;
};

struct RenderResult {
  std::string output;
  int64_t width = 0, height = 0;
  std::string kind;  // "true colour" | "labels"
};

RenderResult render_quicklook(const RenderOptions& options);

}  // namespace strata::pipeline
