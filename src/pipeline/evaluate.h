#pragma once
// `strata evaluate`: a prediction (or several: every *.vrt mosaic of a predict output folder)
// against a label raster read onto the prediction's grid (nearest; reprojected when the CRS
// differs) and mapped through a label scheme. Pixels without a prediction or a label are left
// out. Streams blocks of rows, so memory does not grow with the raster.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/metrics.h"

namespace strata::pipeline {

struct EvaluateOptions {
  std::string pred;    // a prediction or label raster, or a predict output folder
  std::string labels;  // the reference
  std::string label_scheme = "identity";
  std::string json;    // written when not empty
};

struct ProductScore {
  std::string prediction;
  ConfusionMatrix matrix;
  int64_t no_prediction = 0;  // labelled pixels the prediction leaves as no data
  int64_t no_label = 0;       // predicted pixels without a label (no data, ignored, outside)
};

struct EvaluateResult {
  std::vector<ProductScore> products;
  ConfusionMatrix total;  // the sum over all products
  std::string json;       // what --json receives
};

// The products `pred` names: every *.vrt directly in a folder (sorted; error when none), or
// the file itself.
std::vector<std::string> prediction_products(const std::string& pred);

EvaluateResult evaluate(const EvaluateOptions& options);

}  // namespace strata::pipeline
