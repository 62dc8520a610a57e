#include "geo/tiff_probe.h"

#include <cpl_vsi.h>
#include <gdal_priv.h>

#include <atomic>

#include "geo/gdal_error.h"

namespace strata::geo {

std::optional<TiffShape> probe_geotiff(const std::string& bytes, std::string& why) {
  gdal_init();
  static std::atomic<uint64_t> counter{0};
  const std::string name = "/vsimem/strata-upload-" + std::to_string(counter++) + ".tif";
  // GDAL reads the caller's buffer in place: no copy, not taken over.
  VSILFILE* f = VSIFileFromMemBuffer(name.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                                     static_cast<vsi_l_offset>(bytes.size()), FALSE);
  if (!f) {
    why = "cannot hold the bytes in memory";
    return std::nullopt;
  }
  VSIFCloseL(f);
  const char* const gtiff_only[] = {"GTiff", nullptr};
  gdal_take_last_error();
  GDALDatasetUniquePtr ds(GDALDataset::Open(name.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, gtiff_only, nullptr, nullptr));
  std::optional<TiffShape> shape;
  if (ds) shape = TiffShape{ds->GetRasterXSize(), ds->GetRasterYSize(), ds->GetRasterCount()};
  else why = gdal_take_last_error();
  ds.reset();
  VSIUnlink(name.c_str());
  return shape;
}

}  // namespace strata::geo
