#pragma once
// A Keras SavedModel folder read without TensorFlow:
//   <dir>/saved_model.pb                        the Keras config (import/saved_model.h)
//   <dir>/variables/variables.index + .data-*   the weights (import/tensor_bundle.h)
// converted to a strata graph and its weights (import/keras_graph.h), with the digests of the
// files it came from.
#include <string>

#include "import/keras_graph.h"

namespace strata::import {

struct KerasSavedModel {
  std::string dir;                 // absolute
  std::string saved_model_path;    // <dir>/saved_model.pb
  std::string variables_path;      // the (first) data shard
  std::string saved_model_sha256;  // hex
  std::string variables_sha256;    // of every data shard in order, ',' between
  KerasConversion model;
};

// Error "<file>: <reason>" for a missing folder or file, a corrupt protobuf, table or tensor
// (checksums are verified), or a layer strata cannot run.
KerasSavedModel read_keras_saved_model(const std::string& dir);

}  // namespace strata::import
