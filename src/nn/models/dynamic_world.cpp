// Dynamic World's network as a built-in architecture (`strata train --model dynamic-world`): the
// graph text strata import-model writes for the published forward model, with fresh weights, and
// the input transfer its weights were trained with.
#include "nn/graph_spec.h"
#include "nn/model.h"

namespace strata::nn {
namespace {
#include "nn/models/dynamic_world_graph.inc"

struct BandConstants {
  const char* band;
  double a, b;
};

// Per-band log-percentile constants of Dynamic World's input transfer, from the repository's
// single_image_runner.ipynb (google/dynamicworld, Apache-2.0): z = (ln(dn * 0.005 + 1) - a) / b,
// x = sigmoid(5 z - 1).
constexpr BandConstants kDynamicWorldNormalization[] = {
    {"B2", 1.7417268007636313, 2.023298706048351},   {"B3", 1.7261204997060209, 2.038905204308012},
    {"B4", 1.6798346251414997, 2.179592821212937},   {"B5", 1.7734969472909623, 2.2890068333026603},
    {"B6", 2.289154079164943, 2.6171674549378166},   {"B7", 2.382939712192371, 2.773418590375327},
    {"B8", 2.3828939530384052, 2.7578332604178284},  {"B11", 2.1952484264967844, 2.789092484314204},
    {"B12", 1.554812948247501, 2.4140534947492487}};
}  // namespace

ModelConfig dynamic_world_config() {
  const GraphSpec g = GraphSpec::parse(kDynamicWorldGraph);
  return {"graph", g.in_channels(), g.out_channels(), {}, kDynamicWorldGraph};
}

std::vector<std::string> dynamic_world_bands() {
  std::vector<std::string> bands;
  for (const BandConstants& c : kDynamicWorldNormalization) bands.emplace_back(c.band);
  return bands;
}

BandNormalization dynamic_world_normalization() {
  BandNormalization n;
  n.mode = NormalizationMode::log_sigmoid;
  for (const BandConstants& c : kDynamicWorldNormalization) {
    n.a.push_back(static_cast<float>(c.a));
    n.b.push_back(static_cast<float>(c.b));
  }
  return n;
}

}  // namespace strata::nn
