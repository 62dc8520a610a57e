#pragma once
// Small hand-made land-cover maps for the analysis tests: label rasters and predictions
// (9 probability bands + label) on a UTM grid, written with geo's RasterWriter.
#include <gdal_priv.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/classes.h"
#include "geo/raster.h"

namespace strata::test {

inline geo::Grid utm_grid(int64_t w, int64_t h, double pixel = 10.0, double x0 = 500000.0, double y0 = 5000000.0) {
  geo::Grid g;
  g.width = w;
  g.height = h;
  g.transform = {x0, pixel, 0.0, y0, 0.0, -pixel};
  g.crs_wkt = geo::crs_wkt_from_epsg(32632);
  return g;
}

// One uint8 band described "label", nodata `nodata`, Dynamic World's colour table.
inline void write_labels(const std::string& path, const geo::Grid& g, const std::vector<uint8_t>& v, double nodata = 255) {
  geo::WriteOptions o;
  o.type = geo::DataType::u8;
  o.nodata = nodata;
  o.band_descriptions = {"label"};
  for (const auto& c : class_palette()) o.color_table.push_back({c[0], c[1], c[2], 255});
  geo::write_raster(path, g, 1, v.data(), o);
}

// A prediction as strata predict writes it: bands water..snow_and_ice hold the probabilities
// (uint8 round(p * 254) with scale 1/254, or float32 with `float_probabilities`, where the
// label band is float32 too, NaN for no data), band 10 the label. Each pixel's label class gets probability `top[i]`, the others share the rest.
inline void write_prediction(const std::string& path, const geo::Grid& g, const std::vector<uint8_t>& labels,
                             const std::vector<float>& top, bool float_probabilities = false) {
  const size_t n = labels.size();
  std::vector<float> bands(10 * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < kNumClasses; ++c) {
      const bool none = labels[i] == kIgnoreLabel;
      const float p = labels[i] == c ? top[i] : (1 - top[i]) / 8;
      bands[c * n + i] = none ? (float_probabilities ? NAN : 255.0f) : float_probabilities ? p : std::round(p * 254);
    }
  for (size_t i = 0; i < n; ++i)
    bands[9 * n + i] = float_probabilities && labels[i] == kIgnoreLabel ? NAN : static_cast<float>(labels[i]);
  geo::WriteOptions o;
  o.type = float_probabilities ? geo::DataType::f32 : geo::DataType::u8;
  for (const char* name : class_names()) o.band_descriptions.push_back(name);
  o.band_descriptions.push_back("label");
  o.nodata = float_probabilities ? NAN : 255.0;
  geo::write_raster(path, g, 10, bands.data(), o);
  if (float_probabilities) return;
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
  for (int b = 1; b <= kNumClasses; ++b) ds->GetRasterBand(b)->SetScale(1.0 / 254);
}

}  // namespace strata::test
