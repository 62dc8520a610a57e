#pragma once
// Points from one CRS to another (x = easting or longitude, y = northing or latitude, whatever
// the CRS's own axis order), for map tiles and point queries in Web Mercator and WGS 84 over maps
// in UTM. One object per thread: PROJ's transformations are not thread-safe.
#include <memory>
#include <string>

namespace strata::geo {

class CrsTransform {
 public:
  // Error naming both CRSs when PROJ has no transformation between them.
  CrsTransform(const std::string& from_wkt, const std::string& to_wkt);
  CrsTransform(CrsTransform&&) noexcept;
  CrsTransform& operator=(CrsTransform&&) noexcept;
  ~CrsTransform();

  // Transforms n points in place; ok[i] = 0 where a point has no image (outside the
  // projection's domain), whose x/y are then left as they were. True when every point mapped.
  bool apply(double* x, double* y, size_t n, int* ok) const;
  // One point; false when it has no image.
  bool apply(double& x, double& y) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// EPSG:4326 (longitude, latitude) and EPSG:3857 (Web Mercator), as WKT.
const std::string& wgs84_wkt();
const std::string& web_mercator_wkt();

}  // namespace strata::geo
