#include "pipeline/render.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/log.h"
#include "geo/gif.h"
#include "geo/png.h"
#include "geo/raster.h"
#include "pipeline/render_frame.h"
#include "pipeline/render_legend.h"
#include "pipeline/scene_inputs.h"

namespace strata::pipeline {
namespace {

bool ends_with_gif(std::string path) {
  std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return std::tolower(c); });
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".gif") == 0;
}

// The frame with its caption and, when `panel` is set, the legend (or, for a map the legend does
// not describe, an empty space of its size, so that every frame of an animation has one size).
geo::Image decorate(Frame f, const std::string& caption, bool panel, bool describes, const RenderOptions& o) {
  const int scale = decoration_scale(f.map);
  if (!caption.empty()) draw_caption(f.map, caption, scale);
  if (!panel) return std::move(f.map);
  geo::Image legend = legend_panel(o.confidence, scale);
  if (!describes) legend = geo::Image(legend.width, legend.height);
  return beside(f.map, legend);
}

}  // namespace

RenderResult render(const RenderOptions& o) {
  if (o.inputs.empty()) throw UsageError("strata render: no --input given");
  const bool gif = ends_with_gif(o.output);
  if (!gif && o.inputs.size() > 1)
    throw UsageError("strata render: " + std::to_string(o.inputs.size()) +
                     " inputs make an animation: --out must name a .gif");
  // Every input opens before anything is drawn: a missing one stops the run at once.
  std::vector<geo::Raster> inputs;
  for (const std::string& path : o.inputs) inputs.push_back(geo::Raster::open(path));
  const bool panel = o.legend && std::any_of(inputs.begin(), inputs.end(), is_dynamic_world_map);
  const geo::Grid q = quicklook_grid(inputs[0].grid(), o.max_size);

  RenderResult result;
  result.output = o.output;
  auto frame = [&](size_t i) {
    Frame f = render_frame(inputs[i], q, o);
    if (i == 0) result.kind = f.kind;
    return decorate(std::move(f), date_in_name(inputs[i].path()), panel, is_dynamic_world_map(inputs[i]), o);
  };
  if (!gif) {
    const geo::Image image = frame(0);
    geo::write_png(o.output, image);
    result.width = image.width;
    result.height = image.height;
    result.frames = 1;
    return result;
  }
  const int delay_cs = static_cast<int>(std::lround(o.delay_s * 100));
  std::optional<geo::GifWriter> writer;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const geo::Image image = frame(i);
    if (!writer) {
      writer.emplace(o.output, image.width, image.height);
      result.width = image.width;
      result.height = image.height;
    }
    writer->add_frame(image, delay_cs);
    log::debug("render: frame ", i + 1, "/", inputs.size(), " ", inputs[i].path());
  }
  writer->commit();
  result.frames = writer->frames();
  return result;
}

}  // namespace strata::pipeline
