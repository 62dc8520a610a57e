#include "pipeline/render.h"

#include <algorithm>
#include <cmath>

#include "core/classes.h"
#include "core/error.h"
#include "geo/png.h"
#include "geo/raster.h"
#include "geo/scene.h"

namespace strata::pipeline {
namespace {

// The quick-look grid: the input's extent at a resolution that fits max_size.
geo::Grid quicklook_grid(const geo::Grid& g, int64_t max_size) {
  const double factor = std::max(1.0, static_cast<double>(std::max(g.width, g.height)) / static_cast<double>(max_size));
  geo::Grid q = g;
  q.width = std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(g.width) / factor)));
  q.height = std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(g.height) / factor)));
  q.transform[1] = g.transform[1] * static_cast<double>(g.width) / static_cast<double>(q.width);
  q.transform[5] = g.transform[5] * static_cast<double>(g.height) / static_cast<double>(q.height);
  return q;
}

RenderResult render_labels(const geo::Raster& r, const RenderOptions& o) {
  const geo::Grid q = quicklook_grid(r.grid(), o.max_size);
  const int64_t n = q.width * q.height;
  std::vector<uint8_t> codes(static_cast<size_t>(n));
  const auto nodata = r.nodata(0);
  const uint8_t fill = nodata ? static_cast<uint8_t>(*nodata) : kIgnoreLabel;
  r.read_onto<uint8_t>({0}, q, q.full(), codes.data(), geo::Resampling::nearest, fill);

  std::vector<geo::RGBA> table = r.color_table(0);
  if (table.empty()) {
    table.assign(256, geo::RGBA{0, 0, 0, 0});
    for (int c = 0; c < kNumClasses; ++c) {
      const auto& p = class_palette()[static_cast<size_t>(c)];
      table[static_cast<size_t>(c)] = {p[0], p[1], p[2], 255};
    }
  }
  std::vector<uint8_t> rgba(static_cast<size_t>(4 * n));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t c = codes[static_cast<size_t>(i)];
    geo::RGBA e = c < table.size() ? table[c] : geo::RGBA{0, 0, 0, 0};
    if (nodata && c == fill) e.a = 0;
    rgba[static_cast<size_t>(i)] = e.r;
    rgba[static_cast<size_t>(n + i)] = e.g;
    rgba[static_cast<size_t>(2 * n + i)] = e.b;
    rgba[static_cast<size_t>(3 * n + i)] = e.a;
  }
  geo::write_png(o.output, q.width, q.height, 4, rgba.data());
  return {o.output, q.width, q.height, "labels"};
}

RenderResult render_scene(const RenderOptions& o) {
  const geo::Scene scene = geo::Scene::open(o.input, {{}, geo::Harmonize::no});
  const geo::Grid q = quicklook_grid(scene.grid(), o.max_size);
  const int64_t n = q.width * q.height;
  const std::vector<int> index = scene.file_bands(o.rgb_bands);
  const uint16_t nodata = scene.nodata() ? static_cast<uint16_t>(*scene.nodata()) : 0;
  std::vector<uint16_t> dn(static_cast<size_t>(3 * n));
  scene.raster().read_onto<uint16_t>(index, q, q.full(), dn.data(), geo::Resampling::average, nodata);

  auto valid = [&](int64_t i) {
    for (int c = 0; c < 3; ++c) {
      const uint16_t v = dn[static_cast<size_t>(c * n + i)];
      if (v == nodata || v == 0) return false;
    }
    return true;
  };
  // One stretch for all three bands keeps the colour balance of the scene.
  std::vector<uint16_t> sample;
  for (int64_t i = 0; i < n; ++i)
    if (valid(i))
      for (int c = 0; c < 3; ++c) sample.push_back(dn[static_cast<size_t>(c * n + i)]);
  if (sample.empty()) throw Error(o.input + ": every pixel is nodata; nothing to render");
  auto percentile = [&](double p) {
    const size_t k = std::min(sample.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sample.size())));
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(k), sample.end());
    return static_cast<double>(sample[k]);
  };
  const double lo = percentile(o.stretch_low);
  const double hi = std::max(lo + 1.0, percentile(o.stretch_high));

  std::vector<uint8_t> rgba(static_cast<size_t>(4 * n));
  for (int64_t i = 0; i < n; ++i) {
    const bool ok = valid(i);
    for (int c = 0; c < 3; ++c) {
      const double v = (dn[static_cast<size_t>(c * n + i)] - lo) / (hi - lo) * 255.0;
      rgba[static_cast<size_t>(c * n + i)] = ok ? static_cast<uint8_t>(std::clamp(v, 0.0, 255.0)) : 0;
    }
    rgba[static_cast<size_t>(3 * n + i)] = ok ? 255 : 0;
  }
  geo::write_png(o.output, q.width, q.height, 4, rgba.data());
  return {o.output, q.width, q.height, "true colour"};
}

}  // namespace

RenderResult render_quicklook(const RenderOptions& o) {
  const geo::Raster r = geo::Raster::open(o.input);
  if (r.band_count() == 1 && r.band_type(0) == geo::DataType::u8) return render_labels(r, o);
  return render_scene(o);
}

}  // namespace strata::pipeline
