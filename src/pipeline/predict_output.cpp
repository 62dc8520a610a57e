#include "pipeline/predict_output.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <type_traits>

#include "core/classes.h"
#include "core/error.h"

namespace strata::pipeline {

ProbabilityType parse_probability_type(const std::string& s) {
  if (s == "uint8") return ProbabilityType::u8;
  if (s == "float32") return ProbabilityType::f32;
  throw UsageError("--probabilities must be uint8 or float32, not '" + s + "'");
}

const char* probability_type_name(ProbabilityType t) { return t == ProbabilityType::u8 ? "uint8" : "float32"; }

namespace {

std::vector<std::string> band_names() {
  std::vector<std::string> names(class_names().begin(), class_names().end());
  names.emplace_back("label");
  return names;
}

double nodata_of(ProbabilityType t) {
  return t == ProbabilityType::u8 ? kIgnoreLabel : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

geo::WriteOptions prediction_write_options(ProbabilityType t, std::map<std::string, std::string> metadata) {
  geo::WriteOptions w;
  w.type = t == ProbabilityType::u8 ? geo::DataType::u8 : geo::DataType::f32;
  w.band_descriptions = band_names();
  w.nodata = nodata_of(t);
  w.cog = true;
  w.compress = "DEFLATE";
  w.predictor = t == ProbabilityType::u8 ? 2 : 3;
  w.overview_resampling = geo::Resampling::nearest;
  if (t == ProbabilityType::u8) {
    w.band_scales.assign(kNumClasses, kProbabilityScale);
    w.band_scales.push_back(1.0);
  }
  w.metadata = std::move(metadata);
  return w;
}

std::vector<geo::MosaicBand> prediction_mosaic_bands(ProbabilityType t) {
  std::vector<geo::MosaicBand> bands;
  for (const auto& name : band_names()) {
    geo::MosaicBand b;
    b.description = name;
    b.nodata = nodata_of(t);
    bands.push_back(b);
  }
  if (t == ProbabilityType::u8) {
    for (int c = 0; c < kNumClasses; ++c) bands[static_cast<size_t>(c)].scale = kProbabilityScale;
    bands[kLabelBand].color_table = geo::dynamic_world_color_table();
  }
  return bands;
}

template <class T>
void encode_prediction(const float* probs, int64_t classes, int64_t ph, int64_t pw, int64_t ox, int64_t oy, int64_t tw,
                       int64_t th, const uint8_t* valid, std::vector<T>& out) {
  constexpr bool u8 = std::is_same_v<T, uint8_t>;
  if (classes != kNumClasses) throw Error("predict: the model has " + std::to_string(classes) + " classes, not 9");
  if (ox < 0 || oy < 0 || ox + tw > pw || oy + th > ph) throw Error("predict: tile outside the network output");
  const T nodata = u8 ? T(kIgnoreLabel) : std::numeric_limits<T>::quiet_NaN();
  const int64_t plane = tw * th, in_plane = ph * pw;
  out.resize(static_cast<size_t>(kPredictionBands * plane));
  for (int64_t y = 0; y < th; ++y)
    for (int64_t x = 0; x < tw; ++x) {
      const int64_t i = y * tw + x;
      T* px = out.data() + i;
      if (!valid[i]) {
        for (int b = 0; b < kPredictionBands; ++b) px[b * plane] = nodata;
        continue;
      }
      const float* p = probs + (oy + y) * pw + (ox + x);
      int best = 0;
      for (int c = 0; c < kNumClasses; ++c) {
        const float v = p[c * in_plane];
        if (v > p[best * in_plane]) best = c;
        if constexpr (u8)
          px[c * plane] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 254.0f));
        else
          px[c * plane] = v;
      }
      px[kLabelBand * plane] = static_cast<T>(best);
    }
}

template void encode_prediction<uint8_t>(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                                         const uint8_t*, std::vector<uint8_t>&);
template void encode_prediction<float>(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                                       const uint8_t*, std::vector<float>&);

bool tile_is_current(const std::string& path, const std::string& model_hash, const std::string& inputs) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  try {
    const geo::Raster r = geo::Raster::open(path);
    return r.band_count() == kPredictionBands && r.metadata_item(kModelHashKey) == model_hash &&
           r.metadata_item(kInputsKey) == inputs;
  } catch (const Error&) {
    return false;  // unreadable: it is made again
  }
}

}  // namespace strata::pipeline
