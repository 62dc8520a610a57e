#include "geo/png.h"

#include <cpl_vsi.h>
#include <gdal_priv.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/error.h"
#include "geo/gdal_error.h"

namespace strata::geo {

namespace {

GDALDatasetUniquePtr rgba_dataset(const Image& image, const std::string& what) {
  gdal_init();
  const int64_t width = image.width, height = image.height;
  constexpr int channels = 4;
  if (width <= 0 || height <= 0 || width > INT32_MAX || height > INT32_MAX)
    throw Error(what + ": invalid PNG size " + std::to_string(width) + "x" + std::to_string(height));
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  if (!mem) throw Error(what + ": GDAL lacks the MEM driver");
  GDALDatasetUniquePtr src(mem->Create("", static_cast<int>(width), static_cast<int>(height), channels, GDT_Byte, nullptr));
  if (!src) throw_gdal_error(what, "creating the in-memory image");
  // Interleaved RGBA: one pixel is 4 bytes, one band 1 byte further.
  static_assert(sizeof(RGBA) == channels);
  STRATA_GDAL_CHECK(src->RasterIO(GF_Write, 0, 0, static_cast<int>(width), static_cast<int>(height),
                                  const_cast<RGBA*>(image.pixels.data()), static_cast<int>(width), static_cast<int>(height),
                                  GDT_Byte, channels, nullptr, channels, checked_mul(width, channels), 1, nullptr),
                    what);
  return src;
}

GDALDriver* png_driver(const std::string& what) {
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  if (!png) throw Error(what + ": GDAL lacks the PNG driver");
  return png;
}

}  // namespace

void write_png(const std::string& path, const Image& image) {
  GDALDatasetUniquePtr src = rgba_dataset(image, path);
  GDALDriver* png = png_driver(path);
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

std::string encode_png(const Image& image, const std::string& what, int zlevel) {
  GDALDatasetUniquePtr src = rgba_dataset(image, what);
  GDALDriver* png = png_driver(what);
  // A unique in-memory name per call: tiles are encoded on several threads at once.
  static std::atomic<uint64_t> counter{0};
  const std::string name = "/vsimem/strata-png-" + std::to_string(counter++) + ".png";
  const std::string level = "ZLEVEL=" + std::to_string(std::clamp(zlevel, 1, 9));
  const char* options[] = {level.c_str(), "WORLDFILE=NO", nullptr};
  gdal_take_last_error();
  GDALDatasetUniquePtr out(png->CreateCopy(name.c_str(), src.get(), FALSE, const_cast<char**>(options), nullptr, nullptr));
  if (!out) throw_gdal_error(what, "encoding PNG");
  out.reset();
  const bool failed = CPLGetLastErrorType() >= CE_Failure;
  vsi_l_offset size = 0;
  GByte* bytes = VSIGetMemFileBuffer(name.c_str(), &size, FALSE);
  std::string result = bytes && !failed ? std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size)) : "";
  VSIUnlink(name.c_str());
  VSIUnlink((name + ".aux.xml").c_str());
  if (result.empty()) throw_gdal_error(what, "encoding PNG");
  return result;
}

}  // namespace strata::geo
