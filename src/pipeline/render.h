#pragma once
// `strata render`: quick-looks of scenes, label rasters and predictions.
//   a scene                 true colour with one percentile stretch for the three bands
//   a label raster          its colour table (Dynamic World's palette when it has none), with a
//   or a prediction         legend of the 9 classes when the classes are Dynamic World's;
//                           --confidence: the class colour times the top-1 probability
// One input and FILE.png: one image. Inputs and FILE.gif: an animated GIF, one frame per input
// in order, all on the first input's quick-look grid, captioned with the date in each file name.
#include <cstdint>
#include <string>
#include <vector>

namespace strata::pipeline {

struct RenderOptions {
  std::vector<std::string> inputs;
  std::string output;  // .png (one input) or .gif
  std::vector<std::string> rgb_bands{"B4", "B3", "B2"};
  int64_t max_size = 1024;  // longest side of the map, before the legend
  double stretch_low = 2, stretch_high = 98;
  bool confidence = false;
  bool legend = true;
  double delay_s = 1.0;  // GIF: seconds each frame is shown
};

struct RenderResult {
  std::string output;
  int64_t width = 0, height = 0;  // of the image, legend included
  int frames = 0;
  std::string kind;  // of the first input: "true colour" | "labels" | "confidence"
};

RenderResult render(const RenderOptions& options);

}  // namespace strata::pipeline
