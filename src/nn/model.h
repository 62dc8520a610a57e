#pragma once
// The networks. A Model owns its parameters (ParamSet) and activation buffers on one
// backend; forward returns per-pixel class logits, backward (after a training forward)
// writes every trained parameter's gradient. Softmax and the loss sit outside, in
// nn/trainer.h and nn/predict helpers, so one model serves training and inference.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/activation.h"
#include "nn/normalize.h"
#include "nn/param.h"

namespace strata::nn {

struct ModelConfig {
  std::string arch = "unet-small";  // "sample-fcn" | "unet-small" | "graph"
  int64_t in_bands = 13;
  int64_t classes = 9;
  // sample-fcn: {conv width, transposed-conv width} = {32, 16};
  // unet-small: encoder widths per stage = {32, 64, 128} (depth = widths.size()).
  std::vector<int64_t> widths;
  // graph: the network as GraphSpec text (nn/graph_spec.h); its input and output channels are
  // in_bands and classes.
  std::string graph = {};
  void validate() const;  // Error naming the bad setting
  std::string describe() const;  // "unet-small(in_bands=13, classes=9, widths=32,64,128)"
};

ModelConfig sample_fcn_config();   // the Dynamic World sample FCN, 23,401 parameters
ModelConfig unet_small_config();   // about 470k parameters
// Dynamic World's published network (the forward model's graph as strata import-model writes it),
// for training from scratch: 9 bands B2 B3 B4 B5 B6 B7 B8 B11 B12 -> 9 classes.
ModelConfig dynamic_world_config();
std::vector<std::string> dynamic_world_bands();      // B2 B3 B4 B5 B6 B7 B8 B11 B12
BandNormalization dynamic_world_normalization();     // its log-sigmoid transfer, per band
// The configuration a training --model names: sample-fcn, unet-small or dynamic-world.
ModelConfig config_for_model_name(const std::string& name);

// How far (in input pixels) an output pixel can see: outside this radius nothing changes it.
// Tiled inference with a halo of at least this many pixels equals whole-image inference.
int64_t receptive_radius(const ModelConfig& config);
// Input heights and widths (and, for tiled inference, tile origins) must be multiples of this:
// 2^(depth-1) for unet-small, whose pooling cells must line up across tiles; 1 for sample-fcn.
int64_t spatial_multiple(const ModelConfig& config);

class Model {
 public:
  virtual ~Model() = default;
  const ModelConfig& config() const { return config_; }
  ParamSet& params() { return params_; }
  const ParamSet& params() const { return params_; }
  Backend& backend() const { return params_.backend(); }

  // x: [n, in_bands, h, w] device pointer; returns logits [n, classes, h, w] in a model-owned
  // buffer valid until the next forward. unet-small needs h and w divisible by 2^(depth-1).
  virtual Act forward(const float* x, int64_t n, int64_t h, int64_t w, bool train) = 0;
  // dlogits: [n, classes, h, w] of the last (training) forward. Overwrites all gradients.
  virtual void backward(const float* dlogits) = 0;

 protected:
  Model(Backend& be, ModelConfig config) : config_(std::move(config)), params_(be) {}
  ModelConfig config_;
  ParamSet params_;
};

// Builds the configured architecture with freshly initialised weights drawn from `seed`.
std::unique_ptr<Model> make_model(Backend& be, const ModelConfig& config, uint64_t seed);

}  // namespace strata::nn
