#pragma once
// Reading a catalog's maps on a worker thread. GDAL datasets and PROJ transformations must not be
// shared between threads, so each worker keeps its own open VRTs and transformations
// (MapReader::for_this_thread), opened on first use from catalog paths only.
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/classes.h"
#include "geo/crs_transform.h"
#include "geo/raster.h"
#include "serve/catalog.h"

namespace strata::serve {

// One pixel of a prediction.
struct PixelValues {
  bool inside = false;  // the point lies on the map's grid
  bool nodata = true;   // no clear observation there (or outside)
  int64_t col = -1, row = -1;
  int label = -1;                                   // 0..8, -1 for no data
  std::array<double, kNumClasses> probabilities{};  // p in 0..1 (0 where no data)
};

class MapReader {
 public:
  static MapReader& for_this_thread();

  const geo::Raster& raster(const MapEntry& e) { return raster(e.vrt); }
  const geo::Raster& raster(const std::string& catalog_path);
  // The 0-based bands of B4, B3, B2 in a scene of the catalog (geo::Scene's band model), and the
  // DN offset to take off them (1000 for processing baseline 04.00, as geo::Scene decides).
  struct TrueColour {
    std::vector<int> bands;
    float offset = 0;
  };
  const TrueColour& true_colour(const std::string& scene);
  // Transformations from WGS 84 (lon, lat) and from Web Mercator into a map's CRS.
  const geo::CrsTransform& from_wgs84(const std::string& wkt);
  const geo::CrsTransform& from_web_mercator(const std::string& wkt);
  // Per band of the 9 probability bands: the factor from stored value to p (1/254 for strata's
  // uint8 bands, 1 for float32).
  const std::array<double, kNumClasses>& probability_scales(const MapEntry& e);

  PixelValues pixel_at(const MapEntry& e, double lon, double lat);
  // The window of e's grid that a WGS 84 box covers (clipped to the grid; empty when disjoint).
  geo::Window window_of(const MapEntry& e, const LonLatBounds& box);

 private:
  std::map<std::string, geo::Raster> rasters_;
  std::map<std::string, TrueColour> rgb_bands_;
  std::map<std::string, std::array<double, kNumClasses>> scales_;
  std::map<std::string, geo::CrsTransform> from_wgs84_, from_mercator_;
};

// Probability p of a stored value, or nullopt for no data (255 in uint8, NaN in float32).
inline std::optional<double> probability_of(float stored, double scale, bool byte) {
  if (stored != stored || (byte && stored >= 255.0f)) return std::nullopt;
  return static_cast<double>(stored) * scale;
}

}  // namespace strata::serve
