#include "geo/footprint.h"

#include <ogr_spatialref.h>

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "geo/gdal_error.h"
#include "geo/raster.h"

namespace strata::geo {

Bounds bounds(const Grid& g) {
  const auto& t = g.transform;
  Bounds b{1e308, 1e308, -1e308, -1e308};
  for (double col : {0.0, static_cast<double>(g.width)})
    for (double row : {0.0, static_cast<double>(g.height)}) {
      const double x = t[0] + col * t[1] + row * t[2], y = t[3] + col * t[4] + row * t[5];
      b = {std::min(b.min_x, x), std::min(b.min_y, y), std::max(b.max_x, x), std::max(b.max_y, y)};
    }
  return b;
}

bool grids_overlap(const Grid& a, const Grid& b) {
  const Bounds ba = bounds(a);
  Bounds bb = bounds(b);
  if (!a.crs_wkt.empty() && !b.crs_wkt.empty() && !same_crs(a.crs_wkt, b.crs_wkt)) {
    gdal_init();
    OGRSpatialReference sa, sb;
    if (sa.importFromWkt(a.crs_wkt.c_str()) != OGRERR_NONE || sb.importFromWkt(b.crs_wkt.c_str()) != OGRERR_NONE)
      throw Error("cannot read a CRS to compare two rasters' extents");
    // x = easting / longitude, as in geotransforms.
    sa.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    sb.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&sb, &sa));
    if (!ct) throw Error("no transformation between the two rasters' CRSs: " + gdal_take_last_error());
    Bounds r;
    // A source extent that does not map (outside the target projection's domain) cannot overlap.
    if (!ct->TransformBounds(bb.min_x, bb.min_y, bb.max_x, bb.max_y, &r.min_x, &r.min_y, &r.max_x, &r.max_y, 21)) {
      gdal_take_last_error();
      return false;
    }
    bb = r;
  }
  return std::min(ba.max_x, bb.max_x) > std::max(ba.min_x, bb.min_x) &&
         std::min(ba.max_y, bb.max_y) > std::max(ba.min_y, bb.min_y);
}

LonLat centre_lonlat(const Grid& g) {
  if (g.crs_wkt.empty()) throw Error("a grid without a CRS has no longitude and latitude");
  gdal_init();
  OGRSpatialReference src, wgs84;
  if (src.importFromWkt(g.crs_wkt.c_str()) != OGRERR_NONE) throw Error("unreadable CRS: " + gdal_take_last_error());
  wgs84.SetWellKnownGeogCS("WGS84");
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &wgs84));
  if (!ct) throw Error("no transformation from the grid's CRS to WGS 84: " + gdal_take_last_error());
  const auto& t = g.transform;
  const double col = 0.5 * static_cast<double>(g.width), row = 0.5 * static_cast<double>(g.height);
  double x = t[0] + col * t[1] + row * t[2], y = t[3] + col * t[4] + row * t[5];
  if (!ct->Transform(1, &x, &y)) throw Error("the grid's centre has no longitude and latitude: " + gdal_take_last_error());
  return {x, y};
}

}  // namespace strata::geo
