#pragma once
// What a prediction tile holds and how it is encoded. Ten bands, in this order, described by name:
//   1..9  water ... snow_and_ice   class probabilities
//           uint8 (default): round(p * 254), 255 = no data, GDAL scale 1/254 (unscaled = p)
//           float32: p, NaN = no data
//   10    label                    argmax 0..8, no data 255 (uint8) or NaN (float32)
// The VRT mosaic gives the label band Dynamic World's colour table; a GeoTIFF can hold one on its
// first band only, so the tiles themselves have none.
// Pixels without a valid observation are no data in every band, not guesses. Overviews use
// nearest resampling so a zoomed-out label stays the argmax of its probabilities.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "geo/mosaic_vrt.h"
#include "geo/raster.h"

namespace strata::pipeline {

enum class ProbabilityType { u8, f32 };
ProbabilityType parse_probability_type(const std::string& s);  // "uint8" | "float32"; UsageError else
const char* probability_type_name(ProbabilityType t);

inline constexpr int kPredictionBands = 10;
inline constexpr int kLabelBand = 9;  // 0-based
inline constexpr double kProbabilityScale = 1.0 / 254.0;

geo::WriteOptions prediction_write_options(ProbabilityType t, std::map<std::string, std::string> metadata);
std::vector<geo::MosaicBand> prediction_mosaic_bands(ProbabilityType t);

// probs: [classes][ph][pw] softmax output on the padded network input; the tile starts at (ox, oy)
// in it and is tw x th; valid: [th][tw], 0 where the input had no valid observation.
// out: [10][th][tw] in the file's type (uint8_t or float).
template <class T>
void encode_prediction(const float* probs, int64_t classes, int64_t ph, int64_t pw, int64_t ox, int64_t oy, int64_t tw,
                       int64_t th, const uint8_t* valid, std::vector<T>& out);

// Metadata keys each tile carries, for the incremental rerun.
inline constexpr const char* kModelHashKey = "STRATA_MODEL_HASH";
inline constexpr const char* kInputsKey = "STRATA_INPUTS";

// True when `path` is a finished tile made by this model from these inputs.
bool tile_is_current(const std::string& path, const std::string& model_hash, const std::string& inputs);

}  // namespace strata::pipeline
