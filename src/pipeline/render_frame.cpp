#include "pipeline/render_frame.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/classes.h"
#include "core/error.h"
#include "geo/scene.h"
#include "pipeline/class_raster.h"

namespace strata::pipeline {
namespace {

constexpr geo::RGBA kClear{0, 0, 0, 0};

// The label band's colours (256 entries): its colour table, else Dynamic World's palette.
std::vector<geo::RGBA> label_colours(const geo::Raster& r, int band) {
  std::vector<geo::RGBA> table = r.color_table(band);
  if (table.empty()) return geo::dynamic_world_color_table();
  table.resize(256, kClear);
  return table;
}

// The largest class probability of each pixel of `q`, NaN where the prediction has none.
// Stored values are unscaled by the band's scale and offset; uint8 bands that declare none are
// strata's default encoding, p * 254.
std::vector<float> top_probability(const geo::Raster& r, const geo::Grid& q) {
  const auto bands = probability_bands(r);
  if (!bands)
    throw Error(r.path() + ": --confidence needs the 9 probability bands (water ... snow_and_ice) of a prediction");
  const size_t n = static_cast<size_t>(q.width * q.height);
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> top(n, kNaN), v(n);
  for (int b : *bands) {
    const auto nodata = r.nodata(b);
    const auto so = r.scale_offset(b);
    const double scale = so ? so->first : r.band_type(b) == geo::DataType::u8 ? 1.0 / 254 : 1.0;
    const double offset = so ? so->second : 0.0;
    r.read_onto<float>({b}, q, q.full(), v.data(), geo::Resampling::nearest, nodata ? static_cast<float>(*nodata) : kNaN);
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(v[i]) || (nodata && v[i] == static_cast<float>(*nodata))) continue;
      const auto p = static_cast<float>(v[i] * scale + offset);
      if (std::isnan(top[i]) || p > top[i]) top[i] = p;
    }
  }
  return top;
}

Frame render_labels(const geo::Raster& r, const geo::Grid& q, const RenderOptions& o) {
  const int band = label_band(r);
  const auto nodata = r.nodata(band);
  uint8_t fill = nodata && *nodata >= 0 && *nodata <= 255 ? static_cast<uint8_t>(*nodata) : kIgnoreLabel;
  std::vector<uint8_t> codes(static_cast<size_t>(q.width * q.height));
  // 8-bit codes go through the colour table as they are (WorldCover's too); a float
  // prediction's label band becomes classes first.
  if (r.band_type(band) == geo::DataType::u8) {
    r.read_onto<uint8_t>({band}, q, q.full(), codes.data(), geo::Resampling::nearest, fill);
  } else {
    ClassRaster::open(r.path()).read_onto(q, q.full(), codes.data());
    fill = kIgnoreLabel;
  }

  Frame f;
  const std::vector<geo::RGBA> table = label_colours(r, band);
  std::vector<float> top;
  if (o.confidence) top = top_probability(r, q);
  f.kind = o.confidence ? "confidence" : "labels";
  f.map = geo::Image(q.width, q.height);
  for (size_t i = 0; i < codes.size(); ++i) {
    geo::RGBA e = codes[i] == fill ? kClear : table[codes[i]];
    if (o.confidence) {
      const float k = std::isnan(top[i]) ? 0.0f : std::clamp(top[i], 0.0f, 1.0f);
      e = {static_cast<uint8_t>(std::lround(e.r * k)), static_cast<uint8_t>(std::lround(e.g * k)),
           static_cast<uint8_t>(std::lround(e.b * k)), e.a};
    }
    f.map.pixels[i] = e;
  }
  return f;
}

Frame render_scene(const geo::Raster& r, const geo::Grid& q, const RenderOptions& o) {
  if (o.confidence) throw Error(r.path() + ": --confidence needs a prediction, not a scene");
  const geo::Scene scene = geo::Scene::open(r.path(), {{}, geo::Harmonize::no});
  const size_t n = static_cast<size_t>(q.width * q.height);
  const std::vector<int> index = scene.file_bands(o.rgb_bands);
  const uint16_t nodata = scene.nodata() ? static_cast<uint16_t>(*scene.nodata()) : 0;
  std::vector<uint16_t> dn(3 * n);
  scene.raster().read_onto<uint16_t>(index, q, q.full(), dn.data(), geo::Resampling::average, nodata);

  auto valid = [&](size_t i) {
    for (size_t c = 0; c < 3; ++c) {
      const uint16_t v = dn[c * n + i];
      if (v == nodata || v == 0) return false;
    }
    return true;
  };
  // One stretch for all three bands keeps the colour balance of the scene.
  std::vector<uint16_t> sample;
  for (size_t i = 0; i < n; ++i)
    if (valid(i))
      for (size_t c = 0; c < 3; ++c) sample.push_back(dn[c * n + i]);
  if (sample.empty()) throw Error(r.path() + ": every pixel is nodata; nothing to render");
  auto percentile = [&](double p) {
    const size_t k = std::min(sample.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sample.size())));
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(k), sample.end());
    return static_cast<double>(sample[k]);
  };
  const double lo = percentile(o.stretch_low);
  const double hi = std::max(lo + 1.0, percentile(o.stretch_high));

  Frame f;
  f.kind = "true colour";
  f.map = geo::Image(q.width, q.height);
  auto stretch = [&](uint16_t v) { return static_cast<uint8_t>(std::clamp((v - lo) / (hi - lo) * 255.0, 0.0, 255.0)); };
  for (size_t i = 0; i < n; ++i)
    if (valid(i)) f.map.pixels[i] = {stretch(dn[i]), stretch(dn[n + i]), stretch(dn[2 * n + i]), 255};
  return f;
}

}  // namespace

geo::Grid quicklook_grid(const geo::Grid& g, int64_t max_size) {
  const double factor = std::max(1.0, static_cast<double>(std::max(g.width, g.height)) / static_cast<double>(max_size));
  geo::Grid q = g;
  q.width = std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(g.width) / factor)));
  q.height = std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(g.height) / factor)));
  q.transform[1] = g.transform[1] * static_cast<double>(g.width) / static_cast<double>(q.width);
  q.transform[5] = g.transform[5] * static_cast<double>(g.height) / static_cast<double>(q.height);
  return q;
}

bool is_label_map(const geo::Raster& r) {
  for (int b = 0; b < r.band_count(); ++b)
    if (r.band_description(b) == "label") return true;
  return r.band_count() == 1 && r.band_type(0) == geo::DataType::u8;
}

bool is_dynamic_world_map(const geo::Raster& r) {
  if (!is_label_map(r)) return false;
  const std::vector<geo::RGBA> table = r.color_table(label_band(r));
  if (table.empty()) return true;
  for (size_t c = 0; c < kNumClasses; ++c) {
    const auto& p = class_palette()[c];
    if (c >= table.size() || table[c].r != p[0] || table[c].g != p[1] || table[c].b != p[2]) return false;
  }
  return true;
}

Frame render_frame(const geo::Raster& input, const geo::Grid& target, const RenderOptions& o) {
  return is_label_map(input) ? render_labels(input, target, o) : render_scene(input, target, o);
}

}  // namespace strata::pipeline
