#include "geo/png.h"

#include <cpl_vsi.h>
#include <gdal_priv.h>

#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/error.h"
#include "geo/gdal_error.h"

namespace strata::geo {

void write_png(const std::string& path, const Image& image) {
  gdal_init();
  const int64_t width = image.width, height = image.height;
  constexpr int channels = 4;
  if (width <= 0 || height <= 0 || width > INT32_MAX || height > INT32_MAX)
    throw Error(path + ": invalid PNG size " + std::to_string(width) + "x" + std::to_string(height));
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  if (!mem || !png) throw Error(path + ": GDAL lacks the MEM or PNG driver");
  GDALDatasetUniquePtr src(mem->Create("", static_cast<int>(width), static_cast<int>(height), channels, GDT_Byte, nullptr));
  if (!src) throw_gdal_error(path, "creating the in-memory image");
  // Interleaved RGBA: one pixel is 4 bytes, one band 1 byte further.
  static_assert(sizeof(RGBA) == channels);
  STRATA_GDAL_CHECK(src->RasterIO(GF_Write, 0, 0, static_cast<int>(width), static_cast<int>(height),
                                  const_cast<RGBA*>(image.pixels.data()), static_cast<int>(width), static_cast<int>(height),
                                  GDT_Byte, channels, nullptr, channels, checked_mul(width, channels), 1, nullptr),
                    path);
  const std::string tmp = temporary_name(path);
  gdal_take_last_error();
  GDALDatasetUniquePtr out(png->CreateCopy(tmp.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
  if (!out) throw_gdal_error(path, "writing PNG " + tmp);
  out.reset();
  if (CPLGetLastErrorType() >= CE_Failure) {
    VSIUnlink(tmp.c_str());
    throw_gdal_error(path, "closing PNG " + tmp);
  }
  VSIUnlink((tmp + ".aux.xml").c_str());
  if (VSIRename(tmp.c_str(), path.c_str()) != 0) {
    VSIUnlink(tmp.c_str());
    throw Error(path + ": cannot rename " + tmp + " into place: " + std::strerror(errno));
  }
}

}  // namespace strata::geo
