#pragma once
// Everything a checkpoint holds, as named float tensors plus string metadata, so that the
// HDF5 writer in src/store (or any other container) needs to know nothing about networks:
//   tensors   "<param>"                 weights and batch-norm running statistics
//             "adam.m.<param>", "adam.v.<param>"   optimiser moments (when an optimiser is given)
//             "normalization.a", "normalization.b" per-band input normalisation
//   metadata  format, arch, in_bands, classes, widths, graph (graph models), step, rng_state, normalization.mode,
//             band_names, class_names (comma-separated), adam.* settings
// Loading checks the architecture before touching a weight, and names what is missing,
// misshapen or non-finite.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "nn/model.h"
#include "nn/normalize.h"
#include "nn/optimizer.h"

namespace strata::nn {

inline constexpr const char* kStateFormat = "strata-model-state/1";

struct StateTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct ModelState {
  std::map<std::string, std::string> metadata;
  std::vector<StateTensor> tensors;
  const StateTensor* find(const std::string& name) const;  // null when absent
  const std::string& meta(const std::string& key) const;   // Error when absent
};

// What predict needs besides the weights.
struct ModelInfo {
  BandNormalization normalization;
  std::vector<std::string> band_names;
  std::vector<std::string> class_names;
};

// The comma-separated form of band_names and class_names in the metadata.
std::string join_names(const std::vector<std::string>& items);

// rng may be null (no RNG state kept); adam may be null (inference-only state).
ModelState capture_state(const Model& model, const Adam* adam, const ModelInfo& info, const std::mt19937_64* rng);

ModelConfig config_from_state(const ModelState& state);
ModelInfo info_from_state(const ModelState& state);
// Loads every parameter of `model` from state; Error if the state is of another architecture.
void load_weights(Model& model, const ModelState& state);
void load_optimizer(Adam& adam, const ModelState& state);
void load_rng(std::mt19937_64& rng, const ModelState& state);

// What decides the model's predictions: architecture, normalisation, band and class names and
// every tensor but the optimiser's moments, hashed (FNV-1a 64, 16 hex digits). Two checkpoints
// with the same hash predict the same bytes; predict uses it to skip work already done.
std::string prediction_hash(const ModelState& state);

// A model built from the state's architecture with the state's weights.
std::unique_ptr<Model> model_from_state(Backend& be, const ModelState& state);

}  // namespace strata::nn
