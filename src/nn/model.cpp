#include "nn/model.h"

#include "core/error.h"

namespace strata::nn {

std::unique_ptr<Model> make_sample_fcn(Backend& be, const ModelConfig& config, uint64_t seed);
std::unique_ptr<Model> make_unet_small(Backend& be, const ModelConfig& config, uint64_t seed);

ModelConfig sample_fcn_config() { return {"sample-fcn", 13, 9, {32, 16}}; }
ModelConfig unet_small_config() { return {"unet-small", 13, 9, {32, 64, 128}}; }

void ModelConfig::validate() const {
  check(arch == "sample-fcn" || arch == "unet-small",
        "model: unknown architecture '" + arch + "' (expected sample-fcn or unet-small)");
  check(in_bands > 0 && classes > 1 && classes < 255, "model: need in_bands > 0 and 2..254 classes");
  for (int64_t w : widths) check(w > 0, "model: widths must be > 0");
  if (arch == "sample-fcn") check(widths.size() == 2, "model: sample-fcn takes two widths (conv, transposed conv)");
  if (arch == "unet-small") check(!widths.empty() && widths.size() <= 6, "model: unet-small takes 1 to 6 stage widths");
}

std::string ModelConfig::describe() const {
  std::string w;
  for (size_t i = 0; i < widths.size(); ++i) {
    if (i) w += ',';
    w += std::to_string(widths[i]);
  }
  return arch + "(in_bands=" + std::to_string(in_bands) + ", classes=" + std::to_string(classes) + ", widths=" + w +
         ")";
}

int64_t receptive_radius(const ModelConfig& c) {
  c.validate();
  if (c.arch == "sample-fcn") return 2 + 2;  // 5x5 conv, 5x5 transposed conv, 1x1 head
  // unet-small: a ConvBlock (two 3x3 convs) at scale s reaches 2s further; a 2x2 pool or a 2x2
  // stride-2 transposed conv between scales s and 2s moves by up to s more (where the pixel
  // sits in its cell).
  const auto depth = static_cast<int64_t>(c.widths.size());
  int64_t r = 0;
  for (int64_t i = 0; i < depth; ++i) r += 2 << i;            // encoder blocks
  for (int64_t j = 0; j + 1 < depth; ++j) r += (2 << j) + 2 * (int64_t{1} << j);  // pool + up + decoder block
  return r;
}

int64_t spatial_multiple(const ModelConfig& c) {
  c.validate();
  return c.arch == "unet-small" ? int64_t{1} << (c.widths.size() - 1) : 1;
}

std::unique_ptr<Model> make_model(Backend& be, const ModelConfig& config, uint64_t seed) {
  config.validate();
  if (config.arch == "sample-fcn") return make_sample_fcn(be, config, seed);
  return make_unet_small(be, config, seed);
}

}  // namespace strata::nn
