#include "nn/model.h"

#include <algorithm>

#include "core/error.h"
#include "core/fnv1a.h"
#include "nn/graph_spec.h"
#include "nn/models/graph_model.h"

namespace strata::nn {

std::unique_ptr<Model> make_sample_fcn(Backend& be, const ModelConfig& config, uint64_t seed);
std::unique_ptr<Model> make_unet_small(Backend& be, const ModelConfig& config, uint64_t seed);

ModelConfig sample_fcn_config() { return {"sample-fcn", 13, 9, {32, 16}, ""}; }
ModelConfig unet_small_config() { return {"unet-small", 13, 9, {32, 64, 128}, ""}; }

ModelConfig config_for_model_name(const std::string& name) {
  if (name == "sample-fcn") return sample_fcn_config();
  if (name == "unet-small") return unet_small_config();
  if (name == "dynamic-world") return dynamic_world_config();
  throw UsageError("unknown model '" + name + "' (expected sample-fcn, unet-small or dynamic-world)");
}

void ModelConfig::validate() const {
  check(arch == "sample-fcn" || arch == "unet-small" || arch == "graph",
        "model: unknown architecture '" + arch + "' (expected sample-fcn, unet-small or graph)");
  check(in_bands > 0 && classes > 1 && classes < 255, "model: need in_bands > 0 and 2..254 classes");
  if (arch == "graph") {
    const GraphSpec g = GraphSpec::parse(graph);
    check(g.in_channels() == in_bands && g.out_channels() == classes,
          "model: the graph takes " + std::to_string(g.in_channels()) + " bands to " +
              std::to_string(g.out_channels()) + " classes, the configuration says " + std::to_string(in_bands) +
              " to " + std::to_string(classes));
    check(widths.empty(), "model: a graph model takes no widths");
    return;
  }
  for (int64_t w : widths) check(w > 0, "model: widths must be > 0");
  if (arch == "sample-fcn") check(widths.size() == 2, "model: sample-fcn takes two widths (conv, transposed conv)");
  if (arch == "unet-small") check(!widths.empty() && widths.size() <= 6, "model: unet-small takes 1 to 6 stage widths");
}

std::string ModelConfig::describe() const {
  if (arch == "graph")
    return "graph(in_bands=" + std::to_string(in_bands) + ", classes=" + std::to_string(classes) +
           ", nodes=" + std::to_string(std::count(graph.begin(), graph.end(), '\n') - 1) +
           ", text=" + Fnv1a().add(graph).hex().substr(0, 8) + ")";
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
  if (c.arch == "graph") return graph_receptive_radius(GraphSpec::parse(c.graph));
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
  if (c.arch == "graph") return graph_spatial_multiple(GraphSpec::parse(c.graph));
  return c.arch == "unet-small" ? int64_t{1} << (c.widths.size() - 1) : 1;
}

std::unique_ptr<Model> make_model(Backend& be, const ModelConfig& config, uint64_t seed) {
  config.validate();
  if (config.arch == "sample-fcn") return make_sample_fcn(be, config, seed);
  if (config.arch == "graph") return make_graph_model(be, config, seed);
  return make_unet_small(be, config, seed);
}

}  // namespace strata::nn
