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

void write_png(const std::string& path, int64_t width, int64_t height, int channels, const uint8_t* data) {
  gdal_init();
  if (channels != 3 && channels != 4) throw Error(path + ": a PNG needs 3 or 4 channels");
  if (width <= 0 || height <= 0 || width > INT32_MAX || height > INT32_MAX)
    throw Error(path + ": invalid PNG size " + std::to_string(width) + "x" + std::to_string(height));
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  if (!mem || !png) throw Error(path + ": GDAL lacks the MEM or PNG driver");
  GDALDatasetUniquePtr src(mem->Create("", static_cast<int>(width), static_cast<int>(height), channels, GDT_Byte, nullptr));
  if (!src) throw_gdal_error(path, "creating the in-memory image");
  const GSpacing band_space = checked_mul(width, height);
  STRATA_GDAL_CHECK(src->RasterIO(GF_Write, 0, 0, static_cast<int>(width), static_cast<int>(height),
                                  const_cast<uint8_t*>(data), static_cast<int>(width), static_cast<int>(height), GDT_Byte,
                                  channels, nullptr, 1, width, band_space, nullptr),
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
