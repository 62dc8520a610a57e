#pragma once
// PNG output through GDAL's PNG driver; written to a temporary name and renamed when whole.
#include <cstdint>
#include <string>

namespace strata::geo {

// rgb: [channels][height][width], channels 3 (RGB) or 4 (RGBA).
void write_png(const std::string& path, int64_t width, int64_t height, int channels, const uint8_t* data);

}  // namespace strata::geo
