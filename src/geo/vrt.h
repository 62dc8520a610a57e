#pragma once
// VRTs that stack single-band files (a STAC item's assets, SAFE band files at 10, 20 and 60 m)
// into one multi-band raster on the finest grid, each band with its own resampling.
#include <map>
#include <string>
#include <vector>

#include "geo/raster.h"

namespace strata::geo {

struct VrtBand {
  std::string source;       // anything GDAL opens; its first band is used
  std::string description;  // "B2", "SCL", ...
  Resampling resampling = Resampling::bilinear;
};

struct VrtStack {
  std::vector<VrtBand> bands;
  std::map<std::string, std::string> metadata;
};

// Writes `path` (a temporary name first, renamed when whole). Sources must share a CRS; the
// VRT takes the finest resolution among them and their union extent.
void build_band_stack_vrt(const std::string& path, const VrtStack& stack);

}  // namespace strata::geo
