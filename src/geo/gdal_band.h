#pragma once
// Band properties as RasterWriter and the mosaic VRT write them (GDAL's C++ API, so geo-internal):
// one definition of how a colour table and a scale land in a file. Failures throw naming `path`.
#include <gdal_priv.h>

#include <string>
#include <vector>

#include "geo/image.h"

namespace strata::geo {

// The table, and the band's colour interpretation set to palette.
void set_color_table(GDALRasterBand* band, const std::vector<RGBA>& table, const std::string& path);
// value = stored * scale (offset 0), as GDAL's unscaling reads it.
void set_scale(GDALRasterBand* band, double scale, const std::string& path);

}  // namespace strata::geo
