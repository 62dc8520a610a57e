#include "import/dynamic_world.h"

#include <sstream>

#include "core/classes.h"
#include "core/error.h"
#include "nn/model.h"

namespace strata::import {
namespace {

// sha256 of variables.data-00000-of-00001 as published (shared/models/dynamicworld/README.md).
constexpr const char* kForwardVariablesSha256 = "c4a38299f2c0a741682cbe48810d55afdc832ff451e3d3708082751fe655fcb1";
constexpr const char* kBackwardVariablesSha256 = "6383a61b35b43ddbecd1289d6ab4f3054f1255cc85116e01e46d2011b82a3da5";

constexpr const char* kNotice =
    "This code is produced for the Dynamic World Project by Google in partnership with National Geographic "
    "and the World Resources Institute. Weights from github.com/google/dynamicworld "
    "(commit 0dd288fae5fb5291d988e5ea3c12eb91df481ec5, model/), licensed under the Apache License 2.0 "
    "(Apache-2.0). Paper: Brown et al., Dynamic World, Near real-time global 10 m land use land cover "
    "mapping, Scientific Data 9, 251 (2022), doi 10.1038/s41597-022-01307-4.";

}  // namespace

DynamicWorldRole parse_dynamic_world_role(const std::string& text) {
  if (text == "auto") return DynamicWorldRole::automatic;
  if (text == "forward" || text == "dynamic-world-forward") return DynamicWorldRole::forward;
  if (text == "backward" || text == "dynamic-world-backward") return DynamicWorldRole::backward;
  throw UsageError("--role must be auto, forward or backward, not '" + text + "'");
}

const char* role_name(DynamicWorldRole role) {
  switch (role) {
    case DynamicWorldRole::forward: return "dynamic-world-forward";
    case DynamicWorldRole::backward: return "dynamic-world-backward";
    default: return "auto";
  }
}

DynamicWorldRole role_of_published(const std::string& variables_sha256) {
  if (variables_sha256 == kForwardVariablesSha256) return DynamicWorldRole::forward;
  if (variables_sha256 == kBackwardVariablesSha256) return DynamicWorldRole::backward;
  return DynamicWorldRole::automatic;
}

nn::ModelState dynamic_world_state(const KerasSavedModel& model, DynamicWorldRole role) {
  check(role != DynamicWorldRole::automatic, "dynamic_world_state: the role must be decided");
  const nn::GraphSpec& g = model.model.graph;
  const std::vector<std::string> bands = nn::dynamic_world_bands();
  std::vector<std::string> classes;
  for (const char* c : class_names()) classes.emplace_back(c);
  const auto expect = [&](int64_t got, const char* what) {
    check(got == 9, model.saved_model_path + ": the model has " + std::to_string(got) + " " + what +
                        " channels; Dynamic World's have 9 (is this Dynamic World's " +
                        (role == DynamicWorldRole::forward ? "forward" : "backward") + " model?)");
  };
  expect(g.in_channels(), "input");
  expect(g.out_channels(), "output");

  nn::ModelState s;
  s.metadata = {{"format", nn::kStateFormat},
                {"arch", "graph"},
                {"graph", g.to_text()},
                {"in_bands", std::to_string(g.in_channels())},
                {"classes", std::to_string(g.out_channels())},
                {"widths", ""},
                {"step", "0"},
                {"role", role_name(role)},
                {"source.path", model.dir},
                {"source.saved_model_sha256", model.saved_model_sha256},
                {"source.variables_sha256", model.variables_sha256},
                {"source.format", "tensorflow-savedmodel/keras-functional"},
                {"source.license", "Apache-2.0"},
                {"source.notice", kNotice}};
  s.tensors = model.model.weights;
  std::vector<float> a, b;
  if (role == DynamicWorldRole::forward) {
    const nn::BandNormalization norm = nn::dynamic_world_normalization();
    s.metadata["normalization.mode"] = "log_sigmoid";
    s.metadata["band_names"] = nn::join_names(bands);
    s.metadata["class_names"] = nn::join_names(classes);
    s.metadata["input_level"] = "L1C";  // trained on top-of-atmosphere scenes: predict warns on L2A
    a = norm.a;
    b = norm.b;
  } else {
    // Probabilities in, unchanged: standard normalisation with mean 0 and scale 1.
    s.metadata["normalization.mode"] = "standard";
    s.metadata["band_names"] = nn::join_names(classes);
    s.metadata["class_names"] = nn::join_names(bands);
    a.assign(9, 0.0f);
    b.assign(9, 1.0f);
  }
  s.tensors.push_back({"normalization.a", {9}, a});
  s.tensors.push_back({"normalization.b", {9}, b});
  return s;
}

nn::ModelState import_dynamic_world(const std::string& savedmodel_dir, DynamicWorldRole role) {
  const KerasSavedModel m = read_keras_saved_model(savedmodel_dir);
  if (role == DynamicWorldRole::automatic) {
    role = role_of_published(m.variables_sha256);
    check(role != DynamicWorldRole::automatic,
          m.variables_path + ": not the published weights of Dynamic World's forward or backward model (sha256 " +
              m.variables_sha256 + "); say which it is with --role forward|backward");
  }
  return dynamic_world_state(m, role);
}

}  // namespace strata::import
