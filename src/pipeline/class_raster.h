#pragma once
// What evaluate, change, stats and render read as a land-cover map: a strata prediction (the
// band described "label" among its probability bands) or a plain label raster (one band, e.g.
// synth's labels_D.tif). Either way, classes 0..8 with 255 for no data. The label band is
// uint8 as a rule; a float32 prediction's label band shares its file's type and NaN nodata.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/classes.h"
#include "geo/raster.h"

namespace strata::pipeline {

// How strata writes a label raster (labels, synth): uint8 band "label", 255 no data, Dynamic
// World's colour table, CLASS_<i> metadata naming the classes, plus `metadata`.
geo::WriteOptions label_raster_options(std::map<std::string, std::string> metadata);

class ClassRaster {
 public:
  // Errors name the file: it cannot be opened or has no label band (see label_band).
  static ClassRaster open(const std::string& path);

  const geo::Raster& raster() const { return raster_; }
  const std::string& path() const { return raster_.path(); }
  const geo::Grid& grid() const { return raster_.grid(); }
  int band() const { return band_; }

  // Classes in `window` of this raster's grid, or of `target` (read onto it, nearest; pixels
  // outside this raster are no data). The band's nodata (and NaN) becomes 255; a value that is
  // neither a class nor no data is an error naming the file.
  void read(const geo::Window& window, uint8_t* out) const;
  void read_onto(const geo::Grid& target, const geo::Window& window, uint8_t* out) const;

 private:
  explicit ClassRaster(geo::Raster r) : raster_(std::move(r)) {}
  template <class T>
  void to_classes(const T* values, int64_t n, uint8_t* out) const;
  // read(buffer, fill) reads the label band as uint8 or float; the values become classes.
  template <class Read>
  void fetch(int64_t n, uint8_t* out, Read read) const;
  geo::Raster raster_;
  int band_ = 0;
  bool byte_ = true;              // uint8 label band: read as it is, else through float
  double nodata_ = kIgnoreLabel;  // the label band's nodata (255 when it declares none)
};

// The band of `r` that holds labels: the one described "label", else the only band. Error
// naming the file when there are several and none is described so.
int label_band(const geo::Raster& r);

// The bands described water ... snow_and_ice (0-based, in class order), when all 9 are there:
// a prediction's probabilities.
std::optional<std::array<int, kNumClasses>> probability_bands(const geo::Raster& r);

// Rows per block so that a block of `width` pixels is about 4 Mpx: memory stays bounded
// whatever the raster's size.
int64_t block_rows(int64_t width);

// Error naming both files when b covers no part of a.
void require_overlap(const geo::Raster& a, const geo::Raster& b);

}  // namespace strata::pipeline
