#pragma once
// The Keras model config inside a TensorFlow SavedModel's `saved_model.pb`, found by walking the
// protobuf (no byte search that could hit a string elsewhere):
//   SavedModel.meta_graphs (2) -> MetaGraphDef.object_graph_def (7) -> SavedObjectGraph.nodes (1)
//   -> node 0 (the root object: the model) -> SavedObject.user_object (4)
//   -> SavedUserObject {identifier (1) "_tf_keras_network" | "_tf_keras_model", metadata (3)}
// Keras 2.x writes the model's JSON (class_name, config with layers and inbound_nodes) as that
// metadata string.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace strata::import {

// The metadata JSON text of the root object. Error "<path>: ..." when the file is not a SavedModel
// or its root is not a Keras model with a config.
std::string keras_metadata(std::string_view saved_model_pb, const std::string& path);

// The root model's metadata parsed, checked to be a Keras functional model (class_name
// "Functional", or "Model" as older Keras named it, with config.layers).
nlohmann::json keras_functional_config(std::string_view saved_model_pb, const std::string& path);

}  // namespace strata::import
