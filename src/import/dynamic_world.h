#pragma once
// Google's two published Dynamic World networks (github.com/google/dynamicworld, folder model/,
// Apache-2.0) as strata model states:
//   forward   9 Sentinel-2 L1C bands B2 B3 B4 B5 B6 B7 B8 B11 B12 (DN, normalised in strata by
//             Dynamic World's log-sigmoid transfer with the per-band constants below) -> 9 class
//             logits; role "dynamic-world-forward".
//   backward  9 class probabilities -> the 9 bands in the normalised 0..1 space; role
//             "dynamic-world-backward". Its state names the classes as its input bands
//             (band_names) and the bands as its outputs (class_names), with normalization
//             "standard" a = 0, b = 1: the probabilities go in unchanged.
// Which of the two a SavedModel is follows from the digest of its weights (the published files);
// weights of any other origin need the role given.
#include <string>

#include "import/keras_saved_model.h"
#include "nn/model_state.h"

namespace strata::import {

enum class DynamicWorldRole { automatic, forward, backward };

// "auto" | "forward" | "backward" (also "dynamic-world-forward" / "-backward"); UsageError otherwise.
DynamicWorldRole parse_dynamic_world_role(const std::string& text);
const char* role_name(DynamicWorldRole role);  // "dynamic-world-forward", ...

// The role of the published weights with this variables digest; automatic when it is neither.
DynamicWorldRole role_of_published(const std::string& variables_sha256);

// The state a strata checkpoint holds for this model: arch "graph" with the graph text, the
// weights, normalisation, band and class names, the role and the provenance (source.*).
nn::ModelState dynamic_world_state(const KerasSavedModel& model, DynamicWorldRole role);

// read_keras_saved_model + dynamic_world_state, the role decided from the digest when automatic
// (Error naming the folder when the weights are not the published ones).
nn::ModelState import_dynamic_world(const std::string& savedmodel_dir, DynamicWorldRole role);

}  // namespace strata::import
