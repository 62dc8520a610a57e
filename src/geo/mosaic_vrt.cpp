#include "geo/mosaic_vrt.h"

#include <cpl_string.h>
#include <gdal_priv.h>
#include <gdal_utils.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "geo/gdal_band.h"
#include "geo/gdal_error.h"

namespace strata::geo {

void build_mosaic_vrt(const std::string& path, const std::vector<std::string>& tiles, const std::vector<MosaicBand>& bands,
                      const std::map<std::string, std::string>& metadata) {
  gdal_init();
  if (tiles.empty()) throw Error(path + ": a mosaic needs at least one tile");
  CPLStringList sources;
  for (const auto& t : tiles) sources.AddString(t.c_str());
  GDALBuildVRTOptions* opts = GDALBuildVRTOptionsNew(nullptr, nullptr);
  if (!opts) throw_gdal_error(path, "GDALBuildVRTOptionsNew");
  const std::string tmp = temporary_name(path);
  gdal_take_last_error();
  int usage_error = 0;
  GDALDatasetH handle = GDALBuildVRT(tmp.c_str(), sources.size(), nullptr, sources.List(), opts, &usage_error);
  GDALBuildVRTOptionsFree(opts);
  if (!handle) throw_gdal_error(path, "GDALBuildVRT of " + tiles.front() + " ...");
  GDALDatasetUniquePtr ds(GDALDataset::FromHandle(handle));
  if (const int found = ds->GetRasterCount(); found != static_cast<int>(bands.size())) {
    ds.reset();
    VSIUnlink(tmp.c_str());
    throw Error(path + ": the tiles have " + std::to_string(found) + " bands, expected " + std::to_string(bands.size()));
  }
  for (size_t i = 0; i < bands.size(); ++i) {
    GDALRasterBand* band = ds->GetRasterBand(static_cast<int>(i) + 1);
    const MosaicBand& b = bands[i];
    band->SetDescription(b.description.c_str());
    if (b.nodata) STRATA_GDAL_CHECK(band->SetNoDataValue(*b.nodata), path);
    if (b.scale != 1.0) set_scale(band, b.scale, path);
    if (!b.color_table.empty()) set_color_table(band, b.color_table, path);
  }
  for (const auto& [k, v] : metadata) STRATA_GDAL_CHECK(ds->SetMetadataItem(k.c_str(), v.c_str()), path);
  gdal_take_last_error();
  ds.reset();  // writes the XML
  if (CPLGetLastErrorType() >= CE_Failure) {
    VSIUnlink(tmp.c_str());
    throw_gdal_error(path, "writing the VRT");
  }
  rename_into_place(tmp, path);
}

}  // namespace strata::geo
