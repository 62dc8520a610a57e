#include "pipeline/labels.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "geo/label_scheme.h"
#include "geo/raster.h"
#include "pipeline/class_raster.h"

namespace strata::pipeline {

LabelsResult convert_labels(const LabelsOptions& o) {
  const geo::LabelScheme scheme = geo::LabelScheme::load(o.scheme);
  const geo::Raster in = geo::Raster::open(o.input);
  if (in.band_count() != 1)
    throw Error(o.input + ": a label raster has 1 band, this one has " + std::to_string(in.band_count()));
  if (in.band_type(0) != geo::DataType::u8)
    throw Error(o.input + ": label codes must be 8-bit (Byte), not " + geo::data_type_name(in.band_type(0)));

  geo::WriteOptions wo = label_raster_options({{"SOURCE", o.input}, {"LABEL_SCHEME", scheme.source()}});
  wo.cog = true;
  wo.overview_resampling = geo::Resampling::mode;

  const geo::Grid& g = in.grid();
  geo::RasterWriter out(o.output, g, 1, wo);
  LabelsResult result;
  // Strips keep memory bounded for 36000 x 36000 WorldCover tiles.
  const int64_t rows = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(1, g.width));
  std::vector<uint8_t> codes, classes;
  for (int64_t y = 0; y < g.height; y += rows) {
    const geo::Window w{0, y, g.width, std::min(rows, g.height - y)};
    codes.resize(static_cast<size_t>(w.pixels()));
    classes.resize(codes.size());
    in.read({0}, w, codes.data());
    scheme.apply(codes.data(), classes.data(), w.pixels(), o.input);
    for (uint8_t c : classes) {
      if (c < kNumClasses) ++result.class_pixels[c];
      else ++result.ignored_pixels;
    }
    out.write({0}, w, classes.data());
  }
  out.commit();
  return result;
}

}  // namespace strata::pipeline
