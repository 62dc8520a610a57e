#include "import/saved_model.h"

#include "core/error.h"
#include "import/protobuf_wire.h"

namespace strata::import {

std::string keras_metadata(std::string_view saved_model_pb, const std::string& path) {
  const std::string no_keras = path + ": no Keras model config in the SavedModel (not a Keras SavedModel, or truncated)";
  // Any malformed protobuf on the way is reported as that, with the reason.
  try {
    for (std::string_view meta_graph : pb::bytes_fields(saved_model_pb, 2, "SavedModel")) {
      const std::string_view objects = pb::bytes_field(meta_graph, 7, "MetaGraphDef");
      if (objects.empty()) continue;
      const auto nodes = pb::bytes_fields(objects, 1, "SavedObjectGraph");
      if (nodes.empty()) continue;
      const std::string_view user = pb::bytes_field(nodes[0], 4, "SavedObject 0");
      if (user.empty()) continue;
      const std::string identifier(pb::bytes_field(user, 1, "SavedUserObject"));
      if (identifier != "_tf_keras_network" && identifier != "_tf_keras_model") continue;
      const std::string_view metadata = pb::bytes_field(user, 3, "SavedUserObject");
      // Newer Keras (2.5 on) moved the metadata to keras_metadata.pb; these files predate that.
      if (metadata.empty())
        throw Error(path + ": the Keras model has no metadata in saved_model.pb (a newer Keras SavedModel with "
                           "keras_metadata.pb is not supported)");
      return std::string(metadata);
    }
  } catch (const Error& e) {
    if (std::string_view(e.what()).starts_with(path + ":")) throw;
    throw Error(no_keras + ": " + e.what());
  }
  throw Error(no_keras);
}

nlohmann::json keras_functional_config(std::string_view saved_model_pb, const std::string& path) {
  const std::string text = keras_metadata(saved_model_pb, path);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  check(!j.is_discarded() && j.is_object(), path + ": the Keras model metadata is not JSON");
  const std::string cls = j.contains("class_name") && j["class_name"].is_string() ? j["class_name"].get<std::string>() : "";
  check(cls == "Functional" || cls == "Model",
        path + ": the SavedModel holds a Keras " + (cls.empty() ? std::string("object") : cls) +
            ", not a functional model");
  check(j.contains("config") && j["config"].is_object() && j["config"].contains("layers") && j["config"]["layers"].is_array(),
        path + ": the Keras model config has no layers");
  return j;
}

}  // namespace strata::import
