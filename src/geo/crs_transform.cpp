#include "geo/crs_transform.h"

#include <ogr_spatialref.h>

#include "core/error.h"
#include "geo/gdal_error.h"
#include "geo/raster.h"

namespace strata::geo {

struct CrsTransform::Impl {
  std::unique_ptr<OGRCoordinateTransformation> ct;
};

CrsTransform::CrsTransform(const std::string& from_wkt, const std::string& to_wkt) : impl_(std::make_unique<Impl>()) {
  gdal_init();
  OGRSpatialReference from, to;
  if (from.importFromWkt(from_wkt.c_str()) != OGRERR_NONE || to.importFromWkt(to_wkt.c_str()) != OGRERR_NONE)
    throw Error("cannot read a CRS for a coordinate transformation: " + gdal_take_last_error());
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  impl_->ct.reset(OGRCreateCoordinateTransformation(&from, &to));
  if (!impl_->ct)
    throw Error(std::string("no transformation from ") + (from.GetName() ? from.GetName() : "?") + " to " +
                (to.GetName() ? to.GetName() : "?") + ": " + gdal_take_last_error());
}

CrsTransform::CrsTransform(CrsTransform&&) noexcept = default;
CrsTransform& CrsTransform::operator=(CrsTransform&&) noexcept = default;
CrsTransform::~CrsTransform() = default;

bool CrsTransform::apply(double* x, double* y, size_t n, int* ok) const {
  const bool all = impl_->ct->Transform(n, x, y, nullptr, ok) == TRUE;
  gdal_take_last_error();  // points outside the domain are reported through ok, not as errors
  return all;
}

bool CrsTransform::apply(double& x, double& y) const {
  int ok = 0;
  return apply(&x, &y, 1, &ok) && ok;
}

const std::string& wgs84_wkt() {
  static const std::string wkt = crs_wkt_from_epsg(4326);
  return wkt;
}

const std::string& web_mercator_wkt() {
  static const std::string wkt = crs_wkt_from_epsg(3857);
  return wkt;
}

}  // namespace strata::geo
