#include "pipeline/class_raster.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "core/error.h"
#include "geo/footprint.h"

namespace strata::pipeline {

geo::WriteOptions label_raster_options(std::map<std::string, std::string> metadata) {
  geo::WriteOptions wo;
  wo.type = geo::DataType::u8;
  wo.band_descriptions = {"label"};
  wo.nodata = kIgnoreLabel;
  wo.color_table = geo::dynamic_world_color_table();
  wo.metadata = std::move(metadata);
  for (int c = 0; c < kNumClasses; ++c) wo.metadata["CLASS_" + std::to_string(c)] = class_names()[static_cast<size_t>(c)];
  return wo;
}

int label_band(const geo::Raster& r) {
  for (int b = 0; b < r.band_count(); ++b)
    if (r.band_description(b) == "label") return b;
  if (r.band_count() != 1)
    throw Error(r.path() + ": has " + std::to_string(r.band_count()) +
                " bands and none is described 'label': not a prediction or a label raster");
  return 0;
}

ClassRaster ClassRaster::open(const std::string& path) {
  ClassRaster c(geo::Raster::open(path));
  c.band_ = label_band(c.raster_);
  c.byte_ = c.raster_.band_type(c.band_) == geo::DataType::u8;
  if (const auto nd = c.raster_.nodata(c.band_)) c.nodata_ = *nd;
  return c;
}

template <class T>
void ClassRaster::to_classes(const T* v, int64_t n, uint8_t* out) const {
  for (int64_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(v[i]);
    if (x == nodata_ || std::isnan(x) || x == kIgnoreLabel) {
      out[i] = kIgnoreLabel;
    } else if (x >= 0 && x < kNumClasses && x == std::floor(x)) {
      out[i] = static_cast<uint8_t>(x);
    } else {
      char value[32];
      std::snprintf(value, sizeof value, "%g", x);
      throw Error(path() + ": value " + value + " is neither a class (0..8) nor no data");
    }
  }
}

template <class Read>
void ClassRaster::fetch(int64_t n, uint8_t* out, Read read) const {
  if (byte_) {
    read(out, static_cast<uint8_t>(nodata_ >= 0 && nodata_ <= 255 ? nodata_ : kIgnoreLabel));
    to_classes(out, n, out);
    return;
  }
  std::vector<float> v(static_cast<size_t>(n));
  read(v.data(), std::numeric_limits<float>::quiet_NaN());
  to_classes(v.data(), n, out);
}

void ClassRaster::read(const geo::Window& w, uint8_t* out) const {
  fetch(w.pixels(), out, [&](auto* buf, auto) { raster_.read({band_}, w, buf); });
}

void ClassRaster::read_onto(const geo::Grid& target, const geo::Window& w, uint8_t* out) const {
  fetch(w.pixels(), out,
        [&](auto* buf, auto fill) { raster_.read_onto({band_}, target, w, buf, geo::Resampling::nearest, fill); });
}

std::optional<std::array<int, kNumClasses>> probability_bands(const geo::Raster& r) {
  std::array<int, kNumClasses> bands{};
  bands.fill(-1);
  for (int b = 0; b < r.band_count(); ++b)
    if (const auto c = class_index(r.band_description(b))) bands[static_cast<size_t>(*c)] = b;
  if (std::count(bands.begin(), bands.end(), -1) > 0) return std::nullopt;
  return bands;
}

int64_t block_rows(int64_t width) { return std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, width)); }

void require_overlap(const geo::Raster& a, const geo::Raster& b) {
  if (!geo::grids_overlap(a.grid(), b.grid()))
    throw Error(b.path() + ": does not overlap " + a.path() + " (no ground in common)");
}

}  // namespace strata::pipeline
