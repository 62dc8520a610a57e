#pragma once
// The header of a GeoTIFF held in memory (an HTTP upload), read through GDAL's GTiff driver alone
// (no other driver may claim the bytes) without decoding a pixel, so that its size can be checked
// before anything large is allocated.
#include <cstdint>
#include <optional>
#include <string>

namespace strata::geo {

struct TiffShape {
  int64_t width = 0, height = 0;
  int bands = 0;
};

// nullopt when the GTiff driver does not take the bytes; `why` then holds GDAL's message.
std::optional<TiffShape> probe_geotiff(const std::string& bytes, std::string& why);

}  // namespace strata::geo
