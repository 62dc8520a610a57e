#include "geo/pixel_area.h"

#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "geo/gdal_error.h"

namespace strata::geo {
namespace {

// Area between the equator and latitude phi per radian of longitude on an ellipsoid with
// semi-minor axis b and eccentricity e (the authalic integral; R^2 sin(phi) on a sphere).
double zone_area(double phi, double b, double e) {
  const double s = std::sin(phi);
  if (e < 1e-12) return b * b * s;
  const double es = e * s;
  return b * b / 2 * (s / (1 - es * es) + std::log((1 + es) / (1 - es)) / (2 * e));
}

}  // namespace

std::vector<double> pixel_area_m2(const Grid& g, const Window& w, const std::string& path) {
  gdal_init();
  if (g.crs_wkt.empty()) throw Error(path + ": has no CRS, so its pixels have no known area");
  OGRSpatialReference srs;
  if (srs.importFromWkt(g.crs_wkt.c_str()) != OGRERR_NONE) throw Error(path + ": cannot read its CRS");
  std::vector<double> out(static_cast<size_t>(w.height));
  const auto& t = g.transform;
  if (!srs.IsGeographic()) {
    const double unit = srs.GetLinearUnits();  // metres per CRS unit
    const double a = std::abs(t[1] * t[5] - t[2] * t[4]) * unit * unit;
    std::fill(out.begin(), out.end(), a);
    return out;
  }
  if (!g.north_up()) throw Error(path + ": a rotated grid in a geographic CRS is not supported for areas");
  const double rad = srs.GetAngularUnits();  // radians per CRS unit
  const double a = srs.GetSemiMajor(), inv_f = srs.GetInvFlattening();
  const double f = inv_f > 0 ? 1 / inv_f : 0;
  const double b = a * (1 - f), e = std::sqrt(f * (2 - f));
  const double dlon = std::abs(t[1]) * rad;
  for (int64_t r = 0; r < w.height; ++r) {
    const double y = static_cast<double>(w.y + r);
    const double top = std::clamp(g.y_at(y) * rad, -M_PI / 2, M_PI / 2);
    const double bottom = std::clamp(g.y_at(y + 1) * rad, -M_PI / 2, M_PI / 2);
    out[static_cast<size_t>(r)] = dlon * std::abs(zone_area(top, b, e) - zone_area(bottom, b, e));
  }
  return out;
}

}  // namespace strata::geo
