#pragma once
// PNG output through GDAL's PNG driver: to a file (written to a temporary name and renamed when
// whole) or to bytes in memory (map tiles served over HTTP).
#include <string>

#include "geo/image.h"

namespace strata::geo {

void write_png(const std::string& path, const Image& image);

// The PNG file's bytes; `what` names the image in errors. zlevel: deflate level 1..9 (GDAL's
// default 6; tiles use a faster one).
std::string encode_png(const Image& image, const std::string& what = "PNG", int zlevel = 6);

}  // namespace strata::geo
