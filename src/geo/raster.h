#pragma once
// GDAL raster I/O. Everything GDAL opens can be read (GeoTIFF, COG, VRT, JP2 where the driver
// exists, /vsicurl/ URLs); writes go to a temporary name and are renamed into place on commit().
// Every GDAL call is checked; errors name the file and carry GDAL's own message.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geo/grid.h"

namespace strata::geo {

enum class DataType { u8, u16, i16, u32, i32, f32, f64, other };
enum class Resampling { nearest, bilinear, average, mode };

std::string data_type_name(DataType t);
// EPSG code -> WKT (e.g. 32631 for UTM 31N). Error for an unknown code.
std::string crs_wkt_from_epsg(int epsg);
// True when both WKTs describe the same CRS (or both are empty).
bool same_crs(const std::string& wkt_a, const std::string& wkt_b);
// The EPSG code of a WKT, or 0 when it has none.
int crs_epsg(const std::string& wkt);
// "3.6.2" etc.
std::string gdal_version_string();

struct RGBA {
  uint8_t r = 0, g = 0, b = 0, a = 255;
};

// Dynamic World's palette as a 256-entry colour table: classes 0..8 in their colours, the rest
// (255 = no data) transparent.
std::vector<RGBA> dynamic_world_color_table();

class Raster {
 public:
  // Throws Error("PATH: cannot open as a raster: <GDAL message>").
  static Raster open(const std::string& path);
  Raster(Raster&&) noexcept;
  Raster& operator=(Raster&&) noexcept;
  ~Raster();

  const std::string& path() const { return path_; }
  int band_count() const;
  const Grid& grid() const { return grid_; }
  // Bands are 0-based in strata's API.
  DataType band_type(int band) const;
  std::optional<double> nodata(int band) const;
  std::string band_description(int band) const;
  std::string metadata_item(const std::string& key, const std::string& domain = "") const;
  std::map<std::string, std::string> metadata(const std::string& domain = "") const;
  std::vector<RGBA> color_table(int band) const;  // empty when none

  // Reads `bands` inside `window` of this raster's own grid into out[band][row][col]
  // (bands.size() * window.width * window.height values), converting to T.
  template <class T>
  void read(const std::vector<int>& bands, const Window& window, T* out) const;

  // Reads `bands` onto a target grid window, resampled with `r`; target pixels outside this
  // raster (or on its nodata) get `fill`. Same CRS and north-up: a resampled read (how 20 m and
  // 60 m bands land on the 10 m grid). Another CRS: reprojected through GDAL's warper (how
  // WorldCover in EPSG:4326 lands on a UTM scene).
  template <class T>
  void read_onto(const std::vector<int>& bands, const Grid& target, const Window& target_window, T* out,
                 Resampling r, T fill) const;

 private:
  Raster() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  Grid grid_;
};

struct WriteOptions {
  DataType type = DataType::u16;
  std::vector<std::string> band_descriptions;  // one per band, or empty
  std::optional<double> nodata;
  std::string compress = "DEFLATE";  // NONE, DEFLATE, LZW, ZSTD
  int predictor = 0;                 // 0 = GDAL's default, 2 = horizontal differencing
  int block = 256;                   // internal tile size
  bool cog = false;                  // Cloud-Optimized GeoTIFF (implies overviews)
  bool overviews = false;            // internal overviews on a plain GeoTIFF
  bool sparse = false;               // blocks never written take no space and read as nodata
  Resampling overview_resampling = Resampling::average;
  std::vector<RGBA> color_table;     // applied to band 0 (labels; GeoTIFF allows no other band)
  std::vector<double> band_scales;   // per band: GDAL scale (value = stored * scale), or empty
  std::map<std::string, std::string> metadata;  // dataset-level items
  std::vector<std::map<std::string, std::string>> band_metadata;  // per band, or empty
};

// Streams a GeoTIFF by windows into "<path>.tmp-<pid>"; commit() builds overviews (and the COG
// layout when asked), closes and renames it to `path`. Destroyed without commit(), it removes
// the temporary file, so a crash or an error never leaves a half-written file under `path`.
class RasterWriter {
 public:
  RasterWriter(std::string path, Grid grid, int bands, WriteOptions options);
  RasterWriter(RasterWriter&&) noexcept;
  ~RasterWriter();

  // data: [bands.size()][window.height][window.width], converted from T to the file's type.
  template <class T>
  void write(const std::vector<int>& bands, const Window& window, const T* data);
  // All bands at once: data is [bands][window.height][window.width].
  template <class T>
  void write_all(const Window& window, const T* data);
  void commit();

  const std::string& path() const { return path_; }
  int band_count() const { return bands_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  int bands_ = 0;
};

// Convenience: write a whole [bands, height, width] array.
template <class T>
void write_raster(const std::string& path, const Grid& grid, int bands, const T* data, const WriteOptions& options);

}  // namespace strata::geo
