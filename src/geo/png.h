#pragma once
// PNG output through GDAL's PNG driver; written to a temporary name and renamed when whole.
#include <string>

#include "geo/image.h"

namespace strata::geo {

void write_png(const std::string& path, const Image& image);

}  // namespace strata::geo
