#include "geo/raster.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gdalwarper.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <type_traits>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/classes.h"
#include "core/error.h"
#include "geo/gdal_band.h"
#include "geo/gdal_error.h"

namespace strata::geo {
namespace {

template <class T>
constexpr GDALDataType gdal_type() {
  if constexpr (std::is_same_v<T, uint8_t>) return GDT_Byte;
  else if constexpr (std::is_same_v<T, uint16_t>) return GDT_UInt16;
  else if constexpr (std::is_same_v<T, int16_t>) return GDT_Int16;
  else if constexpr (std::is_same_v<T, uint32_t>) return GDT_UInt32;
  else if constexpr (std::is_same_v<T, int32_t>) return GDT_Int32;
  else if constexpr (std::is_same_v<T, float>) return GDT_Float32;
  else if constexpr (std::is_same_v<T, double>) return GDT_Float64;
  else static_assert(sizeof(T) == 0, "unsupported raster element type");
}

GDALDataType to_gdal(DataType t) {
  switch (t) {
    case DataType::u8: return GDT_Byte;
    case DataType::u16: return GDT_UInt16;
    case DataType::i16: return GDT_Int16;
    case DataType::u32: return GDT_UInt32;
    case DataType::i32: return GDT_Int32;
    case DataType::f32: return GDT_Float32;
    case DataType::f64: return GDT_Float64;
    default: throw Error("unsupported raster data type");
  }
}

DataType from_gdal(GDALDataType t) {
  switch (t) {
    case GDT_Byte: return DataType::u8;
    case GDT_UInt16: return DataType::u16;
    case GDT_Int16: return DataType::i16;
    case GDT_UInt32: return DataType::u32;
    case GDT_Int32: return DataType::i32;
    case GDT_Float32: return DataType::f32;
    case GDT_Float64: return DataType::f64;
    default: return DataType::other;
  }
}

GDALRIOResampleAlg to_gdal(Resampling r) {
  switch (r) {
    case Resampling::nearest: return GRIORA_NearestNeighbour;
    case Resampling::bilinear: return GRIORA_Bilinear;
    case Resampling::average: return GRIORA_Average;
    case Resampling::mode: return GRIORA_Mode;
  }
  return GRIORA_NearestNeighbour;
}

const char* overview_name(Resampling r) {
  switch (r) {
    case Resampling::nearest: return "NEAREST";
    case Resampling::bilinear: return "BILINEAR";
    case Resampling::average: return "AVERAGE";
    case Resampling::mode: return "MODE";
  }
  return "NEAREST";
}

int to_int(int64_t v, const std::string& path) {
  if (v < 0 || v > INT32_MAX) throw Error(path + ": window dimension " + std::to_string(v) + " exceeds GDAL's int range");
  return static_cast<int>(v);
}

std::vector<int> gdal_band_map(const std::vector<int>& bands, int count, const std::string& path) {
  std::vector<int> map;
  map.reserve(bands.size());
  for (int b : bands) {
    if (b < 0 || b >= count)
      throw Error(path + ": band " + std::to_string(b + 1) + " requested but the raster has " + std::to_string(count) +
                  " band(s)");
    map.push_back(b + 1);
  }
  return map;
}

bool is_virtual_path(const std::string& path) { return path.rfind("/vsi", 0) == 0 || path.find("://") != std::string::npos; }


GDALResampleAlg to_warp(Resampling r) {
  switch (r) {
    case Resampling::nearest: return GRA_NearestNeighbour;
    case Resampling::bilinear: return GRA_Bilinear;
    case Resampling::average: return GRA_Average;
    case Resampling::mode: return GRA_Mode;
  }
  return GRA_NearestNeighbour;
}

// Reprojects bands of `src` onto a target window through GDAL's warper: for sources in another
// CRS (WorldCover in EPSG:4326 onto a UTM scene) or with a rotated geotransform.
template <class T>
void warp_onto(GDALDataset* src, const std::string& path, const std::string& src_wkt, const std::vector<int>& map,
               const Grid& target, const Window& tw, T* out, Resampling r, T fill) {
  if (src_wkt.empty() || target.crs_wkt.empty())
    throw Error(path + ": cannot reproject onto the target grid: " + (src_wkt.empty() ? "the raster" : "the target") +
                " has no CRS");
  const int64_t n = checked_mul(checked_mul(tw.width, tw.height), static_cast<int64_t>(map.size()));
  std::fill(out, out + n, fill);
  if (n == 0) return;
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  if (!mem) throw Error(path + ": GDAL has no MEM driver");
  const int w = to_int(tw.width, path), h = to_int(tw.height, path), nb = static_cast<int>(map.size());
  GDALDatasetUniquePtr dst(mem->Create("", w, h, nb, gdal_type<T>(), nullptr));
  if (!dst) throw_gdal_error(path, "creating the warp destination");
  const Grid sub = target.sub(tw);
  double gt[6];
  std::copy(sub.transform.begin(), sub.transform.end(), gt);
  STRATA_GDAL_CHECK(dst->SetGeoTransform(gt), path);
  STRATA_GDAL_CHECK(dst->SetProjection(target.crs_wkt.c_str()), path);
  for (int b = 1; b <= nb; ++b) STRATA_GDAL_CHECK(dst->GetRasterBand(b)->Fill(static_cast<double>(fill)), path);

  GDALWarpOptions* wo = GDALCreateWarpOptions();
  struct Cleanup {
    GDALWarpOptions* wo;
    ~Cleanup() {
      if (wo->pTransformerArg) GDALDestroyGenImgProjTransformer(wo->pTransformerArg);
      GDALDestroyWarpOptions(wo);
    }
  } cleanup{wo};
  wo->hSrcDS = src;
  wo->hDstDS = dst.get();
  wo->nBandCount = nb;
  wo->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int) * static_cast<size_t>(nb)));
  wo->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int) * static_cast<size_t>(nb)));
  wo->padfDstNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * static_cast<size_t>(nb)));
  bool src_nodata = false;
  std::vector<double> src_nd(static_cast<size_t>(nb), 0.0);
  for (int b = 0; b < nb; ++b) {
    wo->panSrcBands[b] = map[static_cast<size_t>(b)];
    wo->panDstBands[b] = b + 1;
    wo->padfDstNoDataReal[b] = static_cast<double>(fill);
    int has = 0;
    src_nd[static_cast<size_t>(b)] = src->GetRasterBand(map[static_cast<size_t>(b)])->GetNoDataValue(&has);
    src_nodata = src_nodata || has;
  }
  if (src_nodata) {
    wo->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * static_cast<size_t>(nb)));
    std::copy(src_nd.begin(), src_nd.end(), wo->padfSrcNoDataReal);
  }
  wo->eResampleAlg = to_warp(r);
  wo->eWorkingDataType = gdal_type<T>();
  wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "INIT_DEST", "NO_DATA");
  gdal_take_last_error();
  wo->pTransformerArg = GDALCreateGenImgProjTransformer2(src, dst.get(), nullptr);
  if (!wo->pTransformerArg) throw_gdal_error(path, "creating the reprojection transformer");
  wo->pfnTransformer = GDALGenImgProjTransform;
  GDALWarpOperation op;
  STRATA_GDAL_CHECK(op.Initialize(wo), path);
  STRATA_GDAL_CHECK(op.ChunkAndWarpImage(0, 0, w, h), path);
  STRATA_GDAL_CHECK(dst->RasterIO(GF_Read, 0, 0, w, h, out, w, h, gdal_type<T>(), nb, nullptr, sizeof(T),
                                  checked_mul(tw.width, sizeof(T)),
                                  checked_product({tw.width, tw.height, static_cast<int64_t>(sizeof(T))}), nullptr),
                    path);
}

}  // namespace

std::string data_type_name(DataType t) {
  return t == DataType::other ? "other" : GDALGetDataTypeName(to_gdal(t));
}

std::string crs_wkt_from_epsg(int epsg) {
  gdal_init();
  OGRSpatialReference srs;
  if (srs.importFromEPSG(epsg) != OGRERR_NONE)
    throw Error("EPSG:" + std::to_string(epsg) + " is not a known CRS: " + gdal_take_last_error());
  char* wkt = nullptr;
  if (srs.exportToWkt(&wkt) != OGRERR_NONE) {
    CPLFree(wkt);
    throw Error("EPSG:" + std::to_string(epsg) + ": cannot export WKT");
  }
  std::string out(wkt);
  CPLFree(wkt);
  return out;
}

bool same_crs(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  if (a == b) return true;
  gdal_init();
  OGRSpatialReference sa, sb;
  if (sa.importFromWkt(a.c_str()) != OGRERR_NONE || sb.importFromWkt(b.c_str()) != OGRERR_NONE) return false;
  const char* opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS",
                        nullptr};
  return sa.IsSame(&sb, opts);
}

int crs_epsg(const std::string& wkt) {
  if (wkt.empty()) return 0;
  gdal_init();
  OGRSpatialReference srs;
  if (srs.importFromWkt(wkt.c_str()) != OGRERR_NONE) return 0;
  srs.AutoIdentifyEPSG();
  const char* code = srs.GetAuthorityCode(nullptr);
  return code ? std::atoi(code) : 0;
}

std::string gdal_version_string() { return GDALVersionInfo("RELEASE_NAME"); }

// ---------------------------------------------------------------------------------------------
// Raster

struct Raster::Impl {
  GDALDatasetUniquePtr ds;
};

Raster::Raster(Raster&&) noexcept = default;
Raster& Raster::operator=(Raster&&) noexcept = default;
Raster::~Raster() = default;

Raster Raster::open(const std::string& path) {
  gdal_init();
  if (!is_virtual_path(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file");
    if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, not a raster");
  }
  gdal_take_last_error();
  GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
  if (!ds) {
    std::string msg = gdal_take_last_error();
    throw Error(path + ": cannot open as a raster" + (msg.empty() ? "" : ": " + msg));
  }
  Raster r;
  r.impl_ = std::make_unique<Impl>();
  r.impl_->ds.reset(ds);
  r.path_ = path;
  if (ds->GetRasterCount() == 0) throw Error(path + ": has no raster bands");
  r.grid_.width = ds->GetRasterXSize();
  r.grid_.height = ds->GetRasterYSize();
  double gt[6];
  if (ds->GetGeoTransform(gt) == CE_None) std::copy(gt, gt + 6, r.grid_.transform.begin());
  gdal_take_last_error();  // a missing geotransform is not an error
  if (const OGRSpatialReference* srs = ds->GetSpatialRef()) {
    char* wkt = nullptr;
    if (srs->exportToWkt(&wkt) == OGRERR_NONE && wkt) r.grid_.crs_wkt = wkt;
    CPLFree(wkt);
  }
  return r;
}

int Raster::band_count() const { return impl_->ds->GetRasterCount(); }

DataType Raster::band_type(int band) const {
  gdal_band_map({band}, band_count(), path_);
  return from_gdal(impl_->ds->GetRasterBand(band + 1)->GetRasterDataType());
}

std::optional<double> Raster::nodata(int band) const {
  gdal_band_map({band}, band_count(), path_);
  int has = 0;
  const double v = impl_->ds->GetRasterBand(band + 1)->GetNoDataValue(&has);
  if (!has) return std::nullopt;
  return v;
}

std::string Raster::band_description(int band) const {
  gdal_band_map({band}, band_count(), path_);
  const char* d = impl_->ds->GetRasterBand(band + 1)->GetDescription();
  return d ? d : "";
}

std::optional<std::pair<double, double>> Raster::scale_offset(int band) const {
  gdal_band_map({band}, band_count(), path_);
  GDALRasterBand* b = impl_->ds->GetRasterBand(band + 1);
  int has_scale = 0, has_offset = 0;
  const double scale = b->GetScale(&has_scale), offset = b->GetOffset(&has_offset);
  if (!has_scale && !has_offset) return std::nullopt;
  return std::make_pair(scale, offset);
}

std::string Raster::metadata_item(const std::string& key, const std::string& domain) const {
  const char* v = impl_->ds->GetMetadataItem(key.c_str(), domain.empty() ? nullptr : domain.c_str());
  return v ? v : "";
}

std::map<std::string, std::string> Raster::metadata(const std::string& domain) const {
  std::map<std::string, std::string> out;
  char** md = impl_->ds->GetMetadata(domain.empty() ? nullptr : domain.c_str());
  for (char** p = md; p && *p; ++p) {
    char* key = nullptr;
    const char* value = CPLParseNameValue(*p, &key);
    if (key) out[key] = value ? value : "";
    CPLFree(key);
  }
  return out;
}

std::vector<RGBA> Raster::color_table(int band) const {
  gdal_band_map({band}, band_count(), path_);
  std::vector<RGBA> out;
  const GDALColorTable* ct = impl_->ds->GetRasterBand(band + 1)->GetColorTable();
  if (!ct) return out;
  for (int i = 0; i < ct->GetColorEntryCount(); ++i) {
    const GDALColorEntry* e = ct->GetColorEntry(i);
    out.push_back({static_cast<uint8_t>(e->c1), static_cast<uint8_t>(e->c2), static_cast<uint8_t>(e->c3),
                   static_cast<uint8_t>(e->c4)});
  }
  return out;
}

template <class T>
void Raster::read(const std::vector<int>& bands, const Window& w, T* out) const {
  std::vector<int> map = gdal_band_map(bands, band_count(), path_);
  if (w.x < 0 || w.y < 0 || w.x + w.width > grid_.width || w.y + w.height > grid_.height)
    throw Error(path_ + ": window (" + std::to_string(w.x) + ", " + std::to_string(w.y) + ", " + std::to_string(w.width) +
                "x" + std::to_string(w.height) + ") is outside the raster (" + std::to_string(grid_.width) + "x" +
                std::to_string(grid_.height) + ")");
  if (w.width == 0 || w.height == 0 || bands.empty()) return;
  const GSpacing line = checked_mul(w.width, sizeof(T));
  const GSpacing band_space = checked_product({w.width, w.height, static_cast<int64_t>(sizeof(T))});
  STRATA_GDAL_CHECK(impl_->ds->RasterIO(GF_Read, to_int(w.x, path_), to_int(w.y, path_), to_int(w.width, path_),
                                        to_int(w.height, path_), out, to_int(w.width, path_), to_int(w.height, path_),
                                        gdal_type<T>(), static_cast<int>(map.size()), map.data(), sizeof(T), line,
                                        band_space, nullptr),
                    path_);
}

template <class T>
void Raster::read_onto(const std::vector<int>& bands, const Grid& target, const Window& tw, T* out, Resampling r,
                       T fill) const {
  std::vector<int> map = gdal_band_map(bands, band_count(), path_);
  if (!same_crs(target.crs_wkt, grid_.crs_wkt) || !target.north_up() || !grid_.north_up()) {
    warp_onto(impl_->ds.get(), path_, grid_.crs_wkt, map, target, tw, out, r, fill);
    return;
  }
  const int64_t n = checked_mul(checked_mul(tw.width, tw.height), static_cast<int64_t>(bands.size()));
  std::fill(out, out + n, fill);
  if (n == 0) return;

  // The target window in this raster's pixel coordinates (fractional).
  const double sx0 = (target.x_at(static_cast<double>(tw.x)) - grid_.transform[0]) / grid_.transform[1];
  const double sy0 = (target.y_at(static_cast<double>(tw.y)) - grid_.transform[3]) / grid_.transform[5];
  const double scale_x = target.transform[1] / grid_.transform[1];  // source pixels per target pixel
  const double scale_y = target.transform[5] / grid_.transform[5];
  // Target pixels that lie wholly inside this raster; the rest keep `fill`.
  constexpr double eps = 1e-6;
  const int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(-sx0 / scale_x - eps)));
  const int64_t r0 = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(-sy0 / scale_y - eps)));
  const int64_t c1 = std::min<int64_t>(tw.width, static_cast<int64_t>(std::floor((grid_.width - sx0) / scale_x + eps)));
  const int64_t r1 = std::min<int64_t>(tw.height, static_cast<int64_t>(std::floor((grid_.height - sy0) / scale_y + eps)));
  if (c1 <= c0 || r1 <= r0) return;

  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = to_gdal(r);
  extra.bFloatingPointWindowValidity = TRUE;
  extra.dfXOff = std::clamp(sx0 + static_cast<double>(c0) * scale_x, 0.0, static_cast<double>(grid_.width));
  extra.dfYOff = std::clamp(sy0 + static_cast<double>(r0) * scale_y, 0.0, static_cast<double>(grid_.height));
  extra.dfXSize = std::min(static_cast<double>(c1 - c0) * scale_x, grid_.width - extra.dfXOff);
  extra.dfYSize = std::min(static_cast<double>(r1 - r0) * scale_y, grid_.height - extra.dfYOff);
  const int64_t ix0 = static_cast<int64_t>(std::floor(extra.dfXOff + eps));
  const int64_t iy0 = static_cast<int64_t>(std::floor(extra.dfYOff + eps));
  const int64_t ix1 = std::min<int64_t>(grid_.width, static_cast<int64_t>(std::ceil(extra.dfXOff + extra.dfXSize - eps)));
  const int64_t iy1 = std::min<int64_t>(grid_.height, static_cast<int64_t>(std::ceil(extra.dfYOff + extra.dfYSize - eps)));

  const GSpacing line = checked_mul(tw.width, sizeof(T));
  const GSpacing band_space = checked_product({tw.width, tw.height, static_cast<int64_t>(sizeof(T))});
  T* first = out + r0 * tw.width + c0;
  STRATA_GDAL_CHECK(impl_->ds->RasterIO(GF_Read, to_int(ix0, path_), to_int(iy0, path_), to_int(ix1 - ix0, path_),
                                        to_int(iy1 - iy0, path_), first, to_int(c1 - c0, path_), to_int(r1 - r0, path_),
                                        gdal_type<T>(), static_cast<int>(map.size()), map.data(), sizeof(T), line,
                                        band_space, &extra),
                    path_);
}

std::vector<RGBA> dynamic_world_color_table() {
  std::vector<RGBA> t(256, RGBA{0, 0, 0, 0});
  for (int c = 0; c < kNumClasses; ++c) {
    const auto& p = class_palette()[static_cast<size_t>(c)];
    t[static_cast<size_t>(c)] = {p[0], p[1], p[2], 255};
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// RasterWriter

struct RasterWriter::Impl {
  std::string tmp_path;
  Grid grid;
  WriteOptions options;
  GDALDatasetUniquePtr ds;
  bool committed = false;
};

void set_color_table(GDALRasterBand* band, const std::vector<RGBA>& table, const std::string& path) {
  GDALColorTable ct;
  for (size_t i = 0; i < table.size(); ++i) {
    const GDALColorEntry e{table[i].r, table[i].g, table[i].b, table[i].a};
    ct.SetColorEntry(static_cast<int>(i), &e);
  }
  STRATA_GDAL_CHECK(band->SetColorTable(&ct), path);
  STRATA_GDAL_CHECK(band->SetColorInterpretation(GCI_PaletteIndex), path);
}

void set_scale(GDALRasterBand* band, double scale, const std::string& path) {
  STRATA_GDAL_CHECK(band->SetScale(scale), path);
  STRATA_GDAL_CHECK(band->SetOffset(0.0), path);
}

namespace {

void set_band_properties(GDALDataset* ds, const WriteOptions& o, const std::string& path) {
  for (int b = 0; b < ds->GetRasterCount(); ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b + 1);
    if (static_cast<size_t>(b) < o.band_descriptions.size()) band->SetDescription(o.band_descriptions[static_cast<size_t>(b)].c_str());
    if (o.nodata) STRATA_GDAL_CHECK(band->SetNoDataValue(*o.nodata), path);
    if (static_cast<size_t>(b) < o.band_scales.size()) set_scale(band, o.band_scales[static_cast<size_t>(b)], path);
    if (static_cast<size_t>(b) < o.band_metadata.size())
      for (const auto& [k, v] : o.band_metadata[static_cast<size_t>(b)])
        STRATA_GDAL_CHECK(band->SetMetadataItem(k.c_str(), v.c_str()), path);
  }
  if (!o.color_table.empty()) set_color_table(ds->GetRasterBand(1), o.color_table, path);
  for (const auto& [k, v] : o.metadata) STRATA_GDAL_CHECK(ds->SetMetadataItem(k.c_str(), v.c_str()), path);
}

// Closes a dataset and reports a deferred write error (GDAL flushes compressed tiles on close).
void close_checked(GDALDatasetUniquePtr& ds, const std::string& path) {
  gdal_take_last_error();
  ds.reset();
  if (CPLGetLastErrorType() >= CE_Failure) throw_gdal_error(path, "closing the dataset");
}

void build_overviews(GDALDataset* ds, Resampling r, const std::string& path) {
  std::vector<int> levels;
  for (int f = 2; ds->GetRasterXSize() / f >= 128 || ds->GetRasterYSize() / f >= 128; f *= 2) levels.push_back(f);
  if (levels.empty()) return;
  STRATA_GDAL_CHECK(ds->BuildOverviews(overview_name(r), static_cast<int>(levels.size()), levels.data(), 0, nullptr,
                                       nullptr, nullptr),
                    path);
}

}  // namespace

RasterWriter::RasterWriter(std::string path, Grid grid, int bands, WriteOptions options)
    : impl_(std::make_unique<Impl>()), path_(std::move(path)), bands_(bands) {
  gdal_init();
  if (bands <= 0) throw Error(path_ + ": cannot write a raster with " + std::to_string(bands) + " bands");
  if (grid.width <= 0 || grid.height <= 0 || grid.width > INT32_MAX || grid.height > INT32_MAX)
    throw Error(path_ + ": invalid raster size " + std::to_string(grid.width) + "x" + std::to_string(grid.height));
  if (!is_virtual_path(path_)) {
    const auto parent = std::filesystem::path(path_).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      throw Error(path_ + ": cannot write: directory " + parent.string() + " does not exist");
  }
  impl_->tmp_path = temporary_name(path_);
  impl_->grid = std::move(grid);
  impl_->options = std::move(options);
  const WriteOptions& o = impl_->options;

  GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (!gtiff) throw Error(path_ + ": GDAL has no GTiff driver");
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(o.block).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(o.block).c_str());
  co.SetNameValue("COMPRESS", o.compress.c_str());
  if (o.predictor > 0) co.SetNameValue("PREDICTOR", std::to_string(o.predictor).c_str());
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  if (o.sparse) co.SetNameValue("SPARSE_OK", "TRUE");
  if (o.cog) co.SetNameValue("COMPRESS", "NONE");  // the COG copy compresses; the staging file stays fast

  gdal_take_last_error();
  GDALDataset* ds = gtiff->Create(impl_->tmp_path.c_str(), static_cast<int>(impl_->grid.width),
                                  static_cast<int>(impl_->grid.height), bands, to_gdal(o.type), co.List());
  if (!ds) throw_gdal_error(path_, "creating " + impl_->tmp_path);
  impl_->ds.reset(ds);
  double gt[6];
  std::copy(impl_->grid.transform.begin(), impl_->grid.transform.end(), gt);
  STRATA_GDAL_CHECK(ds->SetGeoTransform(gt), path_);
  if (!impl_->grid.crs_wkt.empty()) {
    OGRSpatialReference srs;
    if (srs.importFromWkt(impl_->grid.crs_wkt.c_str()) != OGRERR_NONE) throw Error(path_ + ": invalid CRS WKT");
    STRATA_GDAL_CHECK(ds->SetSpatialRef(&srs), path_);
  }
  set_band_properties(ds, o, path_);
}

RasterWriter::RasterWriter(RasterWriter&&) noexcept = default;

RasterWriter::~RasterWriter() {
  if (!impl_ || impl_->committed) return;
  impl_->ds.reset();
  VSIUnlink(impl_->tmp_path.c_str());
  VSIUnlink((impl_->tmp_path + ".cog").c_str());
  gdal_take_last_error();
}

template <class T>
void RasterWriter::write(const std::vector<int>& bands, const Window& w, const T* data) {
  if (!impl_->ds) throw Error(path_ + ": write after commit");
  std::vector<int> map = gdal_band_map(bands, bands_, path_);
  if (w.x < 0 || w.y < 0 || w.x + w.width > impl_->grid.width || w.y + w.height > impl_->grid.height)
    throw Error(path_ + ": write window outside the raster");
  if (w.width == 0 || w.height == 0 || bands.empty()) return;
  const GSpacing line = checked_mul(w.width, sizeof(T));
  const GSpacing band_space = checked_product({w.width, w.height, static_cast<int64_t>(sizeof(T))});
  STRATA_GDAL_CHECK(impl_->ds->RasterIO(GF_Write, to_int(w.x, path_), to_int(w.y, path_), to_int(w.width, path_),
                                        to_int(w.height, path_), const_cast<T*>(data), to_int(w.width, path_),
                                        to_int(w.height, path_), gdal_type<T>(), static_cast<int>(map.size()),
                                        map.data(), sizeof(T), line, band_space, nullptr),
                    path_);
}

template <class T>
void RasterWriter::write_all(const Window& w, const T* data) {
  std::vector<int> all(static_cast<size_t>(bands_));
  for (int b = 0; b < bands_; ++b) all[static_cast<size_t>(b)] = b;
  write(all, w, data);
}

void RasterWriter::commit() {
  if (!impl_->ds) throw Error(path_ + ": commit called twice");
  const WriteOptions& o = impl_->options;
  std::string finished = impl_->tmp_path;
  if (o.cog) {
    GDALDriver* cog = GetGDALDriverManager()->GetDriverByName("COG");
    if (!cog) throw Error(path_ + ": GDAL has no COG driver (GDAL >= 3.1 needed)");
    CPLStringList co;
    co.SetNameValue("COMPRESS", o.compress.c_str());
    if (o.predictor > 0) co.SetNameValue("PREDICTOR", std::to_string(o.predictor).c_str());
    co.SetNameValue("BLOCKSIZE", std::to_string(o.block).c_str());
    co.SetNameValue("OVERVIEWS", "AUTO");
    co.SetNameValue("OVERVIEW_RESAMPLING", overview_name(o.overview_resampling));
    co.SetNameValue("BIGTIFF", "IF_SAFER");
    finished = impl_->tmp_path + ".cog";
    gdal_take_last_error();
    impl_->ds->FlushCache(false);  // void in GDAL 3.6; a failure shows in the error state
    if (CPLGetLastErrorType() >= CE_Failure) throw_gdal_error(path_, "flushing the staging file");
    GDALDatasetUniquePtr copy(cog->CreateCopy(finished.c_str(), impl_->ds.get(), FALSE, co.List(), nullptr, nullptr));
    if (!copy) throw_gdal_error(path_, "writing the COG layout");
    close_checked(copy, path_);
    close_checked(impl_->ds, path_);
    VSIUnlink(impl_->tmp_path.c_str());
  } else {
    if (o.overviews) build_overviews(impl_->ds.get(), o.overview_resampling, path_);
    close_checked(impl_->ds, path_);
  }
  if (VSIRename(finished.c_str(), path_.c_str()) != 0)
    throw Error(path_ + ": cannot rename " + finished + " into place: " + std::strerror(errno));
  impl_->committed = true;
}

template <class T>
void write_raster(const std::string& path, const Grid& grid, int bands, const T* data, const WriteOptions& options) {
  RasterWriter w(path, grid, bands, options);
  w.write_all(grid.full(), data);
  w.commit();
}

#define STRATA_RASTER_INSTANTIATE(T)                                                                               \
  template void Raster::read<T>(const std::vector<int>&, const Window&, T*) const;                                \
  template void Raster::read_onto<T>(const std::vector<int>&, const Grid&, const Window&, T*, Resampling, T) const; \
  template void RasterWriter::write<T>(const std::vector<int>&, const Window&, const T*);                          \
  template void RasterWriter::write_all<T>(const Window&, const T*);                                              \
  template void write_raster<T>(const std::string&, const Grid&, int, const T*, const WriteOptions&);
STRATA_RASTER_INSTANTIATE(uint8_t)
STRATA_RASTER_INSTANTIATE(uint16_t)
STRATA_RASTER_INSTANTIATE(int16_t)
STRATA_RASTER_INSTANTIATE(uint32_t)
STRATA_RASTER_INSTANTIATE(int32_t)
STRATA_RASTER_INSTANTIATE(float)
STRATA_RASTER_INSTANTIATE(double)
#undef STRATA_RASTER_INSTANTIATE

}  // namespace strata::geo
