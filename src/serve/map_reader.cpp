#include "serve/map_reader.h"

#include <algorithm>
#include <cmath>

#include "geo/scene.h"
#include "geo/sentinel2.h"
#include "pipeline/predict_output.h"

namespace strata::serve {

MapReader& MapReader::for_this_thread() {
  thread_local MapReader reader;
  return reader;
}

const geo::Raster& MapReader::raster(const std::string& path) {
  auto it = rasters_.find(path);
  if (it == rasters_.end()) it = rasters_.emplace(path, geo::Raster::open(path)).first;
  return it->second;
}

const MapReader::TrueColour& MapReader::true_colour(const std::string& scene) {
  auto it = rgb_bands_.find(scene);
  if (it == rgb_bands_.end()) {
    const geo::Scene s = geo::Scene::open(scene);
    TrueColour t{s.file_bands({"B4", "B3", "B2"}), s.harmonized() ? static_cast<float>(geo::s2::kBaselineOffset) : 0.0f};
    it = rgb_bands_.emplace(scene, std::move(t)).first;
  }
  return it->second;
}

const geo::CrsTransform& MapReader::from_wgs84(const std::string& wkt) {
  auto it = from_wgs84_.find(wkt);
  if (it == from_wgs84_.end()) it = from_wgs84_.emplace(wkt, geo::CrsTransform(geo::wgs84_wkt(), wkt)).first;
  return it->second;
}

const geo::CrsTransform& MapReader::from_web_mercator(const std::string& wkt) {
  auto it = from_mercator_.find(wkt);
  if (it == from_mercator_.end()) it = from_mercator_.emplace(wkt, geo::CrsTransform(geo::web_mercator_wkt(), wkt)).first;
  return it->second;
}

const std::array<double, kNumClasses>& MapReader::probability_scales(const MapEntry& e) {
  auto it = scales_.find(e.vrt);
  if (it != scales_.end()) return it->second;
  const geo::Raster& r = raster(e);
  std::array<double, kNumClasses> s{};
  for (int c = 0; c < kNumClasses; ++c) {
    const auto so = r.scale_offset(c);
    const bool byte = r.band_type(c) == geo::DataType::u8;
    s[static_cast<size_t>(c)] = so ? so->first : byte ? pipeline::kProbabilityScale : 1.0;
  }
  return scales_.emplace(e.vrt, s).first->second;
}

PixelValues MapReader::pixel_at(const MapEntry& e, double lon, double lat) {
  PixelValues v;
  double x = lon, y = lat;
  if (!from_wgs84(e.grid.crs_wkt).apply(x, y)) return v;
  const geo::Grid& g = e.grid;
  const double col = (x - g.transform[0]) / g.transform[1], row = (y - g.transform[3]) / g.transform[5];
  if (!(col >= 0 && row >= 0 && col < static_cast<double>(g.width) && row < static_cast<double>(g.height))) return v;
  v.inside = true;
  v.col = static_cast<int64_t>(std::floor(col));
  v.row = static_cast<int64_t>(std::floor(row));
  const geo::Raster& r = raster(e);
  std::vector<float> values(10);
  r.read(std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, geo::Window{v.col, v.row, 1, 1}, values.data());
  const bool byte = r.band_type(0) == geo::DataType::u8;
  const float label = values[9];
  if (label != label || label < 0 || label >= kNumClasses) return v;
  const auto& scales = probability_scales(e);
  for (size_t c = 0; c < kNumClasses; ++c) {
    const auto p = probability_of(values[c], scales[c], byte);
    if (!p) return v;
    v.probabilities[c] = *p;
  }
  v.nodata = false;
  v.label = static_cast<int>(label);
  return v;
}

geo::Window MapReader::window_of(const MapEntry& e, const LonLatBounds& box) {
  // The box's edges, sampled so that their curved image in a UTM grid is enclosed.
  std::vector<double> xs, ys;
  constexpr int steps = 16;
  for (int i = 0; i <= steps; ++i) {
    const double f = static_cast<double>(i) / steps;
    const double lon = box.west + f * (box.east - box.west), lat = box.south + f * (box.north - box.south);
    for (auto [px, py] : {std::pair{lon, box.south}, {lon, box.north}, {box.west, lat}, {box.east, lat}}) {
      xs.push_back(px);
      ys.push_back(py);
    }
  }
  std::vector<int> ok(xs.size());
  from_wgs84(e.grid.crs_wkt).apply(xs.data(), ys.data(), xs.size(), ok.data());
  const geo::Grid& g = e.grid;
  double c0 = 1e300, c1 = -1e300, r0 = 1e300, r1 = -1e300;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!ok[i]) continue;
    const double c = (xs[i] - g.transform[0]) / g.transform[1], r = (ys[i] - g.transform[3]) / g.transform[5];
    c0 = std::min(c0, c), c1 = std::max(c1, c), r0 = std::min(r0, r), r1 = std::max(r1, r);
  }
  if (c0 > c1) return {};
  // Pixels whose centre lies inside the box's outline.
  auto clampi = [](double v, int64_t hi) { return std::clamp<int64_t>(static_cast<int64_t>(v), 0, hi); };
  const int64_t x0 = clampi(std::round(c0), g.width), x1 = clampi(std::round(c1), g.width);
  const int64_t y0 = clampi(std::round(r0), g.height), y1 = clampi(std::round(r1), g.height);
  return {x0, y0, std::max<int64_t>(0, x1 - x0), std::max<int64_t>(0, y1 - y0)};
}

}  // namespace strata::serve
