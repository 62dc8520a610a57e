#pragma once
// A VRT mosaic over tiles that share a CRS, a resolution and their bands (predict's tiles): one
// raster a user or GDAL opens for the whole region. Band descriptions, nodata, scale and the
// colour table are set on the VRT itself, so readers need not open a tile to learn them.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geo/raster.h"

namespace strata::geo {

struct MosaicBand {
  std::string description;
  std::optional<double> nodata;
  double scale = 1.0;
  std::vector<RGBA> color_table;  // empty: none
};

// Writes `path` under a temporary name and renames it when whole; tiles are referenced relative to
// the VRT's directory when they lie under it. Error naming a tile GDAL cannot use.
void build_mosaic_vrt(const std::string& path, const std::vector<std::string>& tiles, const std::vector<MosaicBand>& bands,
                      const std::map<std::string, std::string>& metadata);

}  // namespace strata::geo
