// The Keras functional config -> strata graph conversion (import/keras_graph.h) on small
// hand-written models: every supported layer, the Mish and resize-size patterns, nested models,
// weight layouts, and the errors for what strata cannot run.
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "import/keras_graph.h"
#include "test_util.h"

namespace strata::import {
namespace {

using json = nlohmann::json;

json layer_call(const std::string& in) { return json::array({json::array({json::array({in, 0, 0, json::object()})})}); }
json op_call(const std::string& in, json kwargs = json::object()) { return json::array({json::array({in, 0, 0, kwargs})}); }
json ref(const std::string& name) { return json::array({name, 0, 0}); }
json tuple(std::vector<json> items) { return {{"class_name", "__tuple__"}, {"items", items}}; }

// A model as Keras writes it, with its object graph and variables.
struct Model {
  json layers = json::array();
  TrackableObjectGraph objects;
  std::map<std::string, FloatTensor> tensors;
  std::vector<int64_t> layer_objects;
  std::string input = "in", output = "head";
  Model() { objects.nodes.resize(1); }

  int64_t add(const std::string& cls, const std::string& name, json config, json inbound) {
    config["name"] = name;
    layers.push_back({{"class_name", cls}, {"name", name}, {"config", config}, {"inbound_nodes", inbound}});
    const auto id = static_cast<int64_t>(objects.nodes.size());
    objects.nodes.emplace_back();
    objects.nodes[0].children.push_back({id, "layer-" + std::to_string(layers.size() - 1)});
    layer_objects.push_back(id);
    return id;
  }
  // Values f(i) at flat index i of the Keras layout.
  void variable(int64_t layer, const std::string& var, std::vector<int64_t> shape, const std::function<float(int64_t)>& f) {
    const auto id = static_cast<int64_t>(objects.nodes.size());
    const std::string key = "variables/" + std::to_string(tensors.size()) + "/.ATTRIBUTES/VARIABLE_VALUE";
    objects.nodes.emplace_back();
    objects.nodes.back().attributes.push_back({"VARIABLE_VALUE", "", key});
    objects.nodes[static_cast<size_t>(layer)].children.push_back({id, var});
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    FloatTensor t{shape, {}};
    for (int64_t i = 0; i < n; ++i) t.values.push_back(f(i));
    tensors[key] = t;
  }
  json& layer(const std::string& name) {
    for (json& l : layers)
      if (l["name"] == name) return l;
    throw std::runtime_error("no layer " + name);
  }
  json config() const {
    return {{"class_name", "Functional"},
            {"name", "m"},
            {"config", {{"name", "m"}, {"layers", layers}, {"input_layers", {ref(input)}}, {"output_layers", {ref(output)}}}}};
  }
  KerasConversion convert() const { return convert_keras_model(config(), objects, tensors, "m.pb"); }
};

float value(int64_t i) { return 0.5f + static_cast<float>(i); }

json conv_config(int64_t filters, int64_t k, const std::string& padding, const std::string& activation, bool bias) {
  return {{"filters", filters},     {"kernel_size", tuple({k, k})}, {"strides", tuple({1, 1})},
          {"padding", padding},     {"data_format", "channels_last"}, {"dilation_rate", tuple({1, 1})},
          {"groups", 1},            {"activation", activation},     {"use_bias", bias}};
}

// in(2) -> Conv2D 3x3 relu (3) -> BN (no scale) -> x * tanh(softplus(x)) -> resize to half ->
// depthwise 3x3 -> concat with the resize -> l2_normalize -> 1x1 valid conv without bias (4).
Model example() {
  Model m;
  m.add("InputLayer", "in", {{"batch_input_shape", tuple({nullptr, nullptr, nullptr, 2})}, {"dtype", "float32"}}, json::array());
  const int64_t c = m.add("Conv2D", "c", conv_config(3, 3, "same", "relu", true), layer_call("in"));
  m.variable(c, "kernel", {3, 3, 2, 3}, value);
  m.variable(c, "bias", {3}, value);
  const int64_t bn = m.add("BatchNormalization", "bn",
                           {{"axis", json::array({3})}, {"momentum", 0.99}, {"epsilon", 0.001}, {"center", true}, {"scale", false}},
                           layer_call("c"));
  m.variable(bn, "beta", {3}, value);
  m.variable(bn, "moving_mean", {3}, value);
  m.variable(bn, "moving_variance", {3}, value);
  m.add("TFOpLambda", "sp", {{"function", "math.softplus"}}, op_call("bn", {{"name", nullptr}}));
  m.add("TFOpLambda", "th", {{"function", "math.tanh"}}, op_call("sp", {{"name", nullptr}}));
  // The operands the other way round from Dynamic World's: tanh(softplus(x)) * x.
  m.add("TFOpLambda", "mu", {{"function", "math.multiply"}}, op_call("th", {{"y", ref("bn")}, {"name", nullptr}}));
  m.add("TFOpLambda", "sh", {{"function", "compat.v1.shape"}}, op_call("mu", {{"out_type", "int32"}}));
  m.add("SlicingOpLambda", "gi", {{"function", "__operators__.getitem"}},
        op_call("sh", {{"slice_spec", {{"start", 1}, {"stop", 3}, {"step", nullptr}}}}));
  m.add("TFOpLambda", "td", {{"function", "math.truediv"}}, op_call("gi", {{"y", 2}, {"name", nullptr}}));
  m.add("TFOpLambda", "ca", {{"function", "cast"}}, op_call("td", {{"dtype", "int32"}}));
  m.add("TFOpLambda", "rs", {{"function", "image.resize"}}, op_call("mu", {{"size", ref("ca")}, {"antialias", true}}));
  json dw_config = conv_config(0, 3, "same", "linear", true);
  dw_config.erase("filters");
  dw_config["depth_multiplier"] = 1;
  const int64_t dw = m.add("DepthwiseConv2D", "dw", dw_config, layer_call("rs"));
  m.variable(dw, "depthwise_kernel", {3, 3, 3, 1}, value);
  m.variable(dw, "bias", {3}, value);
  m.add("TFOpLambda", "cc", {{"function", "concat"}},
        json::array({json::array({json::array({"dw", 0, 0, {{"axis", -1}}}), json::array({"rs", 0, 0, {{"axis", -1}}})})}));
  m.add("TFOpLambda", "l2", {{"function", "math.l2_normalize"}}, op_call("cc", {{"axis", -1}}));
  const int64_t head = m.add("Conv2D", "head", conv_config(4, 1, "valid", "linear", false), layer_call("l2"));
  m.variable(head, "kernel", {1, 1, 6, 4}, value);
  return m;
}

constexpr const char* kExampleGraph =
    "strata-graph/1\n"
    "input in channels=2\n"
    "conv2d c in=in channels=3 kernel=3 bias=1\n"
    "relu c.relu in=c\n"
    "batch_norm bn in=c.relu eps=0.001 momentum=0.01\n"
    "mish mu in=bn\n"
    "resize rs in=mu size_of=mu divisor=2 antialias=1\n"
    "depthwise_conv2d dw in=rs kernel=3 bias=1\n"
    "concat cc in=dw,rs\n"
    "l2_normalize l2 in=cc eps=1e-12\n"
    "conv2d head in=l2 channels=4 kernel=1 bias=0\n";

using test::error_of;

const nn::StateTensor& weight(const KerasConversion& k, const std::string& name) {
  for (const auto& t : k.weights)
    if (t.name == name) return t;
  throw std::runtime_error("no weight " + name);
}

TEST(KerasGraph, ConvertsEverySupportedLayer) {
  const KerasConversion k = example().convert();
  EXPECT_EQ(k.graph.to_text(), nn::GraphSpec::parse(kExampleGraph).to_text());
  std::vector<std::string> names;
  for (const auto& t : k.weights) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"c.weight", "c.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                                             "dw.weight", "dw.bias", "head.weight"}));
  // HWIO [kh, kw, in, out] -> [out, in, kh, kw]
  const auto& c = weight(k, "c.weight");
  EXPECT_EQ(c.shape, (std::vector<int64_t>{3, 2, 3, 3}));
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t y = 0; y < 3; ++y)
        for (int64_t x = 0; x < 3; ++x)
          EXPECT_EQ(c.values[static_cast<size_t>(((o * 2 + i) * 3 + y) * 3 + x)], value(((y * 3 + x) * 2 + i) * 3 + o));
  // [kh, kw, c, 1] -> [c, 1, kh, kw]
  const auto& dw = weight(k, "dw.weight");
  EXPECT_EQ(dw.shape, (std::vector<int64_t>{3, 1, 3, 3}));
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 3; ++x)
        EXPECT_EQ(dw.values[static_cast<size_t>((ch * 3 + y) * 3 + x)], value((y * 3 + x) * 3 + ch));
  // scale: false -> gamma 1
  EXPECT_EQ(weight(k, "bn.weight").values, (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(weight(k, "head.weight").shape, (std::vector<int64_t>{4, 6, 1, 1}));
  const ParameterCounts p = count_parameters(k.weights);
  EXPECT_EQ(p.all, 54 + 3 + 4 * 3 + 27 + 3 + 24);
  EXPECT_EQ(p.trainable, p.all - 6);
}

TEST(KerasGraph, ResizeWithoutDivisionAndReluLayers) {
  Model m = example();
  // rs: size = shape(mu)[1:3] directly (no truediv, no cast); a ReLU layer and a linear Activation
  m.layer("rs")["inbound_nodes"] = op_call("mu", {{"size", ref("gi")}, {"method", "bilinear"}});
  m.add("ReLU", "r", {{"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}}, layer_call("head"));
  m.add("Activation", "lin", {{"activation", "linear"}}, layer_call("r"));
  m.output = "lin";
  const KerasConversion k = m.convert();
  const auto& n = k.graph.nodes;
  EXPECT_EQ(n[static_cast<size_t>(k.graph.index_of("rs"))].divisor, 1);
  EXPECT_FALSE(n[static_cast<size_t>(k.graph.index_of("rs"))].antialias);
  EXPECT_EQ(n.back().name, "r");  // the linear activation makes no node
  EXPECT_EQ(n.back().op, nn::GraphOp::relu);
}

TEST(KerasGraph, FlattensNestedModels) {
  const Model inner = example();
  Model outer;
  outer.input = "outer_in";
  outer.output = "inner";
  outer.add("InputLayer", "outer_in", {{"batch_input_shape", tuple({nullptr, nullptr, nullptr, 2})}}, json::array());
  json cfg = inner.config();
  const int64_t o = outer.add("Functional", "inner", cfg["config"], layer_call("outer_in"));
  // The inner model's objects hang under the outer's layer-1; renumber them after the outer's.
  const auto base = static_cast<int64_t>(outer.objects.nodes.size()) - 1;  // inner node 0 -> o
  for (size_t i = 1; i < inner.objects.nodes.size(); ++i) {
    auto n = inner.objects.nodes[i];
    for (auto& ch : n.children) ch.node_id += base;
    outer.objects.nodes.push_back(n);
  }
  for (auto ch : inner.objects.nodes[0].children) {
    ch.node_id += base;
    outer.objects.nodes[static_cast<size_t>(o)].children.push_back(ch);
  }
  outer.tensors = inner.tensors;
  outer.layers[1]["config"]["name"] = "inner";
  // Keras numbers a nested model's outer call node 1 (node 0 is its own graph).
  json c = outer.config();
  c["config"]["output_layers"] = json::array({json::array({"inner", 1, 0})});
  const KerasConversion k = convert_keras_model(c, outer.objects, outer.tensors, "m.pb");
  std::string want = nn::GraphSpec::parse(kExampleGraph).to_text();
  // the inner input is the outer one
  want.replace(want.find("input in "), 9, "input outer_in ");
  want.replace(want.find("in=in "), 6, "in=outer_in ");
  EXPECT_EQ(k.graph.to_text(), want);
  EXPECT_EQ(k.weights.size(), 9u);
}

TEST(KerasGraph, PrunesBranchesThatLeadNowhere) {
  Model m = example();
  const int64_t dead = m.add("Conv2D", "dead", conv_config(5, 1, "valid", "linear", true), layer_call("in"));
  m.variable(dead, "kernel", {1, 1, 2, 5}, value);
  m.variable(dead, "bias", {5}, value);
  const KerasConversion k = m.convert();
  EXPECT_EQ(k.graph.index_of("dead"), -1);
  EXPECT_EQ(k.graph.nodes.back().name, "head");
  for (const auto& t : k.weights) EXPECT_FALSE(t.name.starts_with("dead"));
}

TEST(KerasGraph, UnsupportedLayersAreOneLineErrors) {
  {
    Model m = example();
    m.layer("dw")["class_name"] = "SeparableConv2D";
    EXPECT_EQ(error_of([&] { m.convert(); }), "m.pb: layer 'dw' of type SeparableConv2D is not supported by strata import-model");
  }
  {
    Model m = example();
    m.layer("l2")["config"]["function"] = "math.sigmoid";
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'l2' of type TFOpLambda/math.sigmoid is not supported by strata import-model");
  }
  {
    Model m = example();  // strides 2
    m.layer("c")["config"]["strides"] = tuple({2, 2});
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'c' of type Conv2D is not supported by strata import-model (strides other than 1)");
  }
  {
    Model m = example();  // a 3x3 valid convolution shrinks the image
    m.layer("c")["config"]["padding"] = "valid";
    EXPECT_NE(error_of([&] { m.convert(); }).find("layer 'c' of type Conv2D is not supported by strata import-model (padding valid"),
              std::string::npos);
  }
  {
    Model m = example();  // the softplus feeds something else as well: not Mish any more
    m.add("TFOpLambda", "extra", {{"function", "__operators__.add"}}, op_call("sp", {{"y", ref("bn")}}));
    EXPECT_EQ(error_of([&] { m.convert(); }).rfind(
                  "m.pb: layer 'sp' of type TFOpLambda/math.softplus is not supported by strata import-model (feeds 2 layers", 0),
              0u);
  }
  {
    Model m = example();  // x * tanh(softplus(y)) with y != x
    m.layer("mu")["inbound_nodes"] = op_call("th", {{"y", ref("c")}});
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'mu' of type TFOpLambda/math.multiply is not supported by strata import-model (only x * "
              "tanh(softplus(x)), Mish, with the same x)");
  }
  {
    Model m = example();  // a plain product of two tensors
    m.add("TFOpLambda", "sq", {{"function", "math.multiply"}}, op_call("head", {{"y", ref("head")}}));
    m.output = "sq";
    EXPECT_NE(error_of([&] { m.convert(); }).find("m.pb: layer 'sq' of type TFOpLambda/math.multiply is not supported"),
              std::string::npos);
  }
  {
    Model m = example();  // resize to a constant size
    m.layer("rs")["inbound_nodes"] = op_call("mu", {{"size", json::array({64, 64})}});
    EXPECT_NE(error_of([&] { m.convert(); }).find("layer 'rs' of type TFOpLambda/image.resize is not supported"), std::string::npos);
  }
  {
    Model m = example();  // nearest-neighbour resize
    m.layer("rs")["inbound_nodes"] = op_call("mu", {{"size", ref("ca")}, {"method", "nearest"}});
    EXPECT_NE(error_of([&] { m.convert(); }).find("(method nearest)"), std::string::npos);
  }
  {
    Model m = example();  // the shape used as a tensor
    m.layer("cc")["inbound_nodes"] =
        json::array({json::array({json::array({"dw", 0, 0, {{"axis", -1}}}), json::array({"sh", 0, 0, {{"axis", -1}}})})});
    EXPECT_NE(error_of([&] { m.convert(); }).find("layer 'sh' of type TFOpLambda/compat.v1.shape is not supported"),
              std::string::npos);
  }
  {
    Model m = example();  // BN over another axis
    m.layer("bn")["config"]["axis"] = json::array({1});
    EXPECT_NE(error_of([&] { m.convert(); }).find("layer 'bn' of type BatchNormalization is not supported"), std::string::npos);
  }
}

TEST(KerasGraph, ShapeMismatchesNameTheLayerAndBothShapes) {
  {
    Model m = example();
    m.layer("c")["config"]["filters"] = 5;  // the checkpoint's kernel has 3
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'c' (Conv2D): kernel has shape [3, 3, 2, 3] in the checkpoint, the config and the layer's input "
              "say [3, 3, 2, 5]");
  }
  {
    Model m = example();
    auto& t = m.tensors.begin()->second;  // c's kernel, the first variable
    t.shape = {3, 3, 3, 2};
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'c' (Conv2D): kernel has shape [3, 3, 3, 2] in the checkpoint, the config and the layer's input "
              "say [3, 3, 2, 3]");
  }
  {
    Model m = example();
    m.layer("in")["config"]["batch_input_shape"] = tuple({nullptr, nullptr, nullptr, 4});
    EXPECT_NE(error_of([&] { m.convert(); }).find("kernel has shape [3, 3, 2, 3] in the checkpoint"), std::string::npos);
  }
}

TEST(KerasGraph, StructuralErrors) {
  {
    Model m = example();  // a missing variable
    m.objects.nodes[static_cast<size_t>(m.layer_objects[1])].children.pop_back();
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'c' (Conv2D): no variable 'bias' under the layer in the checkpoint's object graph");
  }
  {
    Model m = example();  // an input that no layer makes
    m.layer("head")["inbound_nodes"] = layer_call("nowhere");
    EXPECT_EQ(error_of([&] { m.convert(); }), "m.pb: layer 'head' (Conv2D): reads layer 'nowhere', which the model does not have");
  }
  {
    Model m = example();  // a layer called twice
    m.layer("dw")["inbound_nodes"].push_back(layer_call("rs")[0]);
    EXPECT_EQ(error_of([&] { m.convert(); }),
              "m.pb: layer 'dw' (DepthwiseConv2D): is called 2 times; shared layers are not supported");
  }
  {
    Model m = example();  // layers listed out of dependency order still convert
    std::swap(m.layers[1], m.layers[2]);
    std::swap(m.objects.nodes[0].children[1].local_name, m.objects.nodes[0].children[2].local_name);
    EXPECT_EQ(m.convert().graph.to_text(), nn::GraphSpec::parse(kExampleGraph).to_text());
  }
  {
    Model m = example();
    json c = m.config();
    c["config"]["layers"][3]["inbound_nodes"] = 7;  // malformed JSON structure
    EXPECT_NE(error_of([&] { convert_keras_model(c, m.objects, m.tensors, "m.pb"); }).find("m.pb: "), std::string::npos);
  }
}

}  // namespace
}  // namespace strata::import
