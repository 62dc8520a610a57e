#pragma once
// `strata import-model`: a published network from elsewhere -> an ordinary strata checkpoint.
// First (and so far only) source: Google's Dynamic World TensorFlow SavedModels, forward or
// backward (src/import/dynamic_world.h). The checkpoint holds the graph (arch "graph"), the
// weights, normalisation, band and class names and the provenance; it is written under a
// temporary name and renamed into place, so on any error nothing exists under --out.
#include <cstdint>
#include <map>
#include <string>

namespace strata::pipeline {

struct ImportModelOptions {
  std::string savedmodel;    // the SavedModel folder (saved_model.pb + variables/)
  std::string out;           // the checkpoint to write
  std::string role = "auto"; // auto | forward | backward
};

struct ImportModelResult {
  std::string role;                      // dynamic-world-forward | dynamic-world-backward
  int64_t parameters = 0;                // every weight, bias and batch-norm tensor
  int64_t trainable_parameters = 0;      // without the batch-norm running statistics
  int64_t in_bands = 0, classes = 0;
  std::map<std::string, int64_t> ops;    // graph nodes per op
};

ImportModelResult run_import_model(const ImportModelOptions& options);

}  // namespace strata::pipeline
