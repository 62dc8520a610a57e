#include "geo/vrt.h"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gdal_utils.h>

#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"
#include "geo/gdal_error.h"

namespace strata::geo {
namespace {

const char* resampling_name(Resampling r) {
  switch (r) {
    case Resampling::nearest: return "nearest";
    case Resampling::bilinear: return "bilinear";
    case Resampling::average: return "average";
    case Resampling::mode: return "mode";
  }
  return "nearest";
}

}  // namespace

void build_band_stack_vrt(const std::string& path, const VrtStack& stack) {
  gdal_init();
  if (stack.bands.empty()) throw Error(path + ": a VRT needs at least one band");
  CPLStringList sources;
  for (const auto& b : stack.bands) sources.AddString(b.source.c_str());
  CPLStringList argv;
  for (const char* a : {"-separate", "-resolution", "highest", "-b", "1"}) argv.AddString(a);
  GDALBuildVRTOptions* opts = GDALBuildVRTOptionsNew(argv.List(), nullptr);
  if (!opts) throw_gdal_error(path, "GDALBuildVRTOptionsNew");
  const std::string tmp = temporary_name(path);
  gdal_take_last_error();
  int usage_error = 0;
  GDALDatasetH vrt = GDALBuildVRT(tmp.c_str(), sources.size(), nullptr, sources.List(), opts, &usage_error);
  GDALBuildVRTOptionsFree(opts);
  if (!vrt) throw_gdal_error(path, "GDALBuildVRT of " + stack.bands.front().source + " ...");
  auto* ds = GDALDataset::FromHandle(vrt);
  if (ds->GetRasterCount() != static_cast<int>(stack.bands.size())) {
    GDALClose(vrt);
    VSIUnlink(tmp.c_str());
    throw Error(path + ": some band sources could not be stacked (is every asset a single-band raster in one CRS?)");
  }
  for (size_t i = 0; i < stack.bands.size(); ++i) {
    GDALRasterBand* band = ds->GetRasterBand(static_cast<int>(i) + 1);
    band->SetDescription(stack.bands[i].description.c_str());
  }
  for (const auto& [k, v] : stack.metadata) STRATA_GDAL_CHECK(ds->SetMetadataItem(k.c_str(), v.c_str()), path);
  GDALClose(vrt);
  if (CPLGetLastErrorType() >= CE_Failure) throw_gdal_error(path, "writing the VRT");

  // GDALBuildVRT writes one resampling for all sources; set each band's own in the XML.
  VSILFILE* f = VSIFOpenL(tmp.c_str(), "rb");
  if (!f) throw Error(path + ": cannot read back " + tmp);
  std::string xml;
  char buf[65536];
  size_t n = 0;
  while ((n = VSIFReadL(buf, 1, sizeof buf, f)) > 0) xml.append(buf, n);
  VSIFCloseL(f);
  size_t pos = 0;
  for (size_t i = 0; i < stack.bands.size(); ++i) {
    pos = xml.find("<VRTRasterBand", pos);
    const size_t end = xml.find("</VRTRasterBand>", pos);
    if (pos == std::string::npos || end == std::string::npos) break;
    std::string band = xml.substr(pos, end - pos);
    const std::string attr = std::string(" resampling=\"") + resampling_name(stack.bands[i].resampling) + "\"";
    for (const char* tag : {"<SimpleSource", "<ComplexSource"})
      for (size_t s = band.find(tag); s != std::string::npos; s = band.find(tag, s + 1))
        if (band.compare(s + std::strlen(tag), 11, " resampling") != 0) band.insert(s + std::strlen(tag), attr);
    xml.replace(pos, end - pos, band);
    pos += band.size();
  }
  f = VSIFOpenL(tmp.c_str(), "wb");
  if (!f || VSIFWriteL(xml.data(), 1, xml.size(), f) != xml.size()) {
    if (f) VSIFCloseL(f);
    throw Error(path + ": cannot write " + tmp);
  }
  VSIFCloseL(f);
  if (VSIRename(tmp.c_str(), path.c_str()) != 0)
    throw Error(path + ": cannot rename " + tmp + " into place: " + std::strerror(errno));
}

}  // namespace strata::geo
