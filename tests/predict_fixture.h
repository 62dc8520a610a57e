#pragma once
// Checkpoints for the predict tests: untrained models with a plausible normalisation, written
// once; the scenes are prepare_fixture's synthetic series. Untrained weights predict as well as
// trained ones for what these tests check: tiling, ranks, files, reruns.
#include <string>

#include "core/classes.h"
#include "geo/sentinel2.h"
#include "nn/backend.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "pipeline/predict.h"
#include "prepare_fixture.h"
#include "store/checkpoint.h"

namespace strata::test {

inline std::string write_test_checkpoint(const std::string& path, const nn::ModelConfig& config, uint64_t seed,
                                         std::vector<std::string> bands = {}) {
  auto be = nn::make_cpu_backend(1);
  nn::ModelConfig c = config;
  if (bands.empty())
    for (const char* b : {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"}) bands.emplace_back(b);
  c.in_bands = static_cast<int64_t>(bands.size());
  auto model = nn::make_model(*be, c, seed);
  nn::ModelInfo info;
  info.normalization = {nn::NormalizationMode::standard, std::vector<float>(bands.size(), 1500.0f),
                        std::vector<float>(bands.size(), 1200.0f)};
  info.band_names = bands;
  for (const char* n : class_names()) info.class_names.emplace_back(n);
  store::write_checkpoint(path, nn::capture_state(*model, nullptr, info, nullptr));
  return path;
}

// A small U-Net (depth 3: tiles and halos must be multiples of 4) with few channels, so that the
// tests run in seconds.
inline nn::ModelConfig tiny_unet() {
  nn::ModelConfig c = nn::unet_small_config();
  c.widths = {8, 12, 16};
  return c;
}

inline pipeline::PredictOptions small_predict(const std::string& model, const std::string& out) {
  pipeline::PredictOptions o;
  o.model = model;
  o.scenes = {synth_dir() + "/S2_*.tif"};
  o.out_dir = out;
  o.tile = 96;
  o.stack.scene.harmonize = geo::Harmonize::no;
  return o;
}

}  // namespace strata::test
