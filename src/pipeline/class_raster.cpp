#include "pipeline/class_raster.h"

#include <algorithm>

#include "core/error.h"
#include "geo/footprint.h"

namespace strata::pipeline {

int label_band(const geo::Raster& r) {
  int band = -1;
  for (int b = 0; b < r.band_count() && band < 0; ++b)
    if (r.band_description(b) == "label") band = b;
  if (band < 0 && r.band_count() != 1)
    throw Error(r.path() + ": has " + std::to_string(r.band_count()) +
                " bands and none is described 'label': not a prediction or a label raster");
  band = std::max(band, 0);
  if (r.band_type(band) != geo::DataType::u8)
    throw Error(r.path() + ": labels must be 8-bit (Byte), not " + geo::data_type_name(r.band_type(band)));
  return band;
}

ClassRaster ClassRaster::open(const std::string& path) {
  ClassRaster c(geo::Raster::open(path));
  const geo::Raster& r = c.raster_;
  c.band_ = label_band(r);
  if (const auto nd = r.nodata(c.band_); nd && *nd >= 0 && *nd <= 255) c.nodata_ = static_cast<int>(*nd);
  return c;
}

void ClassRaster::to_classes(uint8_t* v, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) {
    if (v[i] == nodata_) v[i] = kIgnoreLabel;
    else if (v[i] >= kNumClasses && v[i] != kIgnoreLabel)
      throw Error(path() + ": value " + std::to_string(v[i]) + " is neither a class (0..8) nor no data (" +
                  std::to_string(nodata_) + ")");
  }
}

void ClassRaster::read(const geo::Window& w, uint8_t* out) const {
  raster_.read<uint8_t>({band_}, w, out);
  to_classes(out, w.pixels());
}

void ClassRaster::read_onto(const geo::Grid& target, const geo::Window& w, uint8_t* out) const {
  raster_.read_onto<uint8_t>({band_}, target, w, out, geo::Resampling::nearest, static_cast<uint8_t>(nodata_));
  to_classes(out, w.pixels());
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
