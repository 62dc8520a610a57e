#include "import/keras_graph.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/tensor.h"

namespace strata::import {
namespace {

using json = nlohmann::json;

// A reference to a layer's output in inbound_nodes: ["name", node_index, tensor_index(, kwargs)].
struct Ref {
  std::string layer;
  int64_t tensor = 0;
};

std::optional<Ref> as_ref(const json& j) {
  if (!j.is_array() || j.size() < 3 || j.size() > 4 || !j[0].is_string() || !j[1].is_number_integer() ||
      !j[2].is_number_integer() || (j.size() == 4 && !j[3].is_object()))
    return std::nullopt;
  return Ref{j[0].get<std::string>(), j[2].get<int64_t>()};
}

// One call of a layer. Keras 2.x writes a layer's call as a list of entries
// [[["x", 0, 0, {kwargs}]]], a TFOpLambda's single-tensor call as one entry
// [["x", 0, 0, {kwargs}]] and a call on a list of tensors (tf.concat) as a list of entries, each
// carrying the same kwargs. Tensors passed as keyword arguments (multiply's y, resize's size)
// appear in kwargs as references.
struct Call {
  std::vector<Ref> args;
  json kwargs = json::object();
  std::vector<Ref> kwarg_refs() const {
    std::vector<Ref> refs;
    for (const auto& [k, v] : kwargs.items())
      if (const auto r = as_ref(v)) refs.push_back(*r);
    return refs;
  }
};

enum class Kind { tensor, softplus, tanh_softplus, shape };

// What a Keras tensor is in the graph being built: a node's output, or a piece of a pattern
// (softplus(x), tanh(softplus(x)), the shape arithmetic of a resize) that makes no node itself.
struct Value {
  Kind kind = Kind::tensor;
  std::string node;  // tensor: its node; softplus/tanh: x's node; shape: the node whose shape it is
  std::string layer, type;  // the Keras layer that made it and its type, for errors
  bool sliced = false;      // shape[1:3] taken
  bool cast = false;
  int64_t divisor = 1;
};

// Channel counts come from the config; bounding them keeps every sum and product of them (and
// any constant made with them) far from overflow before the checkpoint's shapes confirm them.
constexpr int64_t kMaxChannels = int64_t{1} << 20;

std::string dims_text(const std::vector<int64_t>& d) { return Shape(d).str(); }

// A tuple in Keras' config: {"class_name": "__tuple__", "items": [...]}, a list, or one number.
std::vector<json> items(const json& j) {
  if (j.is_object() && j.contains("items") && j["items"].is_array()) return j["items"].get<std::vector<json>>();
  if (j.is_array()) return j.get<std::vector<json>>();
  return {j};
}

// Rounds 1 - m to 15 significant digits, so Keras' 0.99 gives 0.01 rather than 0.010000000000000009.
double graph_momentum(double keras_momentum) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", 1.0 - keras_momentum);
  return std::strtod(buf, nullptr);
}

class Converter {
 public:
  Converter(const TrackableObjectGraph& objects, const std::map<std::string, FloatTensor>& tensors, std::string file)
      : objects_(objects), tensors_(tensors), file_(std::move(file)) {}

  // Converts one functional model's layers; `bound` holds the tensors a nested model is called
  // with (null for the root). Returns the model's outputs.
  std::vector<Value> model(const json& model, int64_t object, const std::vector<Value>* bound);
  KerasConversion finish(const Value& output);

 private:
  struct Layer {
    const json* j = nullptr;
    std::string name, cls, type;
    Call call;
    int64_t index = 0;  // in the model's `layers`
  };
  [[noreturn]] void unsupported(const std::string& layer, const std::string& type, const std::string& hint = "") const {
    throw Error(file_ + ": layer '" + layer + "' of type " + type + " is not supported by strata import-model" +
                (hint.empty() ? "" : " (" + hint + ")"));
  }
  [[noreturn]] void fail(const Layer& l, const std::string& reason) const {
    throw Error(file_ + ": layer '" + l.name + "' (" + l.type + "): " + reason);
  }
  // A layer's config entry, required.
  const json& cfg(const Layer& l, const char* key) const {
    const json& c = (*l.j)["config"];
    if (!c.contains(key)) fail(l, std::string("config has no '") + key + "'");
    return c[key];
  }
  int64_t cfg_int(const Layer& l, const char* key) const {
    const json& v = cfg(l, key);
    if (!v.is_number_integer()) fail(l, std::string("config '") + key + "' is not an integer");
    return v.get<int64_t>();
  }
  std::string cfg_string(const Layer& l, const char* key, const std::string& fallback) const {
    const json& c = (*l.j)["config"];
    if (!c.contains(key) || c[key].is_null()) return fallback;
    if (!c[key].is_string()) fail(l, std::string("config '") + key + "' is not a string");
    return c[key].get<std::string>();
  }
  bool cfg_bool(const Layer& l, const char* key, bool fallback) const {
    const json& c = (*l.j)["config"];
    if (!c.contains(key)) return fallback;
    if (!c[key].is_boolean()) fail(l, std::string("config '") + key + "' is not true/false");
    return c[key].get<bool>();
  }
  // A pair config such as kernel_size or strides, both entries required to be equal.
  int64_t cfg_square(const Layer& l, const char* key) const {
    const auto v = items(cfg(l, key));
    if (v.empty() || v.size() > 2 || !v[0].is_number_integer() || !v.back().is_number_integer())
      fail(l, std::string("config '") + key + "' is not one or two integers");
    if (v[0].get<int64_t>() != v.back().get<int64_t>())
      unsupported(l.name, l.type, std::string("non-square ") + key + " " + v[0].dump() + "x" + v.back().dump());
    return v[0].get<int64_t>();
  }

  Call parse_call(const Layer& l) const;
  // v itself when it is a node's output; an Error naming the layer when it is a piece of a pattern
  // (softplus, tanh, shape arithmetic) used where a tensor is needed.
  const Value& tensor(const Value& v) const;
  int64_t channels(const std::string& node) const { return channels_.at(node); }
  void add_node(nn::GraphNode n, int64_t out_channels);
  std::string conv_activation(const Layer& l, const std::string& node);
  // The variable `var` of the layer at object-graph node `object`, its shape checked.
  FloatTensor variable(const Layer& l, int64_t object, const std::string& var, const std::vector<int64_t>& want) const;
  void add_weight(const std::string& node, std::string name, std::vector<int64_t> shape, std::vector<float> values);
  void convert(const Layer& l, int64_t model_object, std::map<std::pair<std::string, int64_t>, Value>& values,
               const std::map<std::string, int64_t>& consumers);

  const TrackableObjectGraph& objects_;
  const std::map<std::string, FloatTensor>& tensors_;
  std::string file_;
  int depth_ = 0;  // of nested models: a corrupt config must not recurse without end
  nn::GraphSpec graph_;
  std::map<std::string, int64_t> channels_;
  std::vector<std::pair<std::string, nn::StateTensor>> weights_;  // owning node, tensor
  std::set<std::string> fused_;  // softplus/tanh layers taken into a mish
};

Call Converter::parse_call(const Layer& l) const {
  Call call;
  const json& nodes = (*l.j)["inbound_nodes"];
  if (nodes.size() != 1) fail(l, "is called " + std::to_string(nodes.size()) + " times; shared layers are not supported");
  const json& node = nodes[0];
  std::vector<json> entries;
  if (as_ref(node)) entries.push_back(node);  // one entry: a TFOpLambda on one tensor
  else if (node.is_array()) entries = node.get<std::vector<json>>();
  for (const json& e : entries) {
    const auto r = as_ref(e);
    if (!r) fail(l, "inbound node entry " + e.dump() + " is not a reference to a layer");
    call.args.push_back(*r);
    if (e.size() == 4) call.kwargs = e[3];
  }
  if (call.args.empty()) fail(l, "has no inputs");
  return call;
}

const Value& Converter::tensor(const Value& v) const {
  if (v.kind != Kind::tensor) {
    const char* hint = v.kind == Kind::shape ? "shape arithmetic is supported only as the size of image.resize"
                                             : "softplus and tanh are supported only as x * tanh(softplus(x)), Mish";
    unsupported(v.layer, v.type, hint);
  }
  return v;
}

void Converter::add_node(nn::GraphNode n, int64_t out_channels) {
  if (channels_.count(n.name)) throw Error(file_ + ": two layers are called '" + n.name + "' (after flattening nested models)");
  channels_[n.name] = out_channels;
  graph_.nodes.push_back(std::move(n));
}

std::string Converter::conv_activation(const Layer& l, const std::string& node) {
  const std::string act = cfg_string(l, "activation", "linear");
  if (act == "linear") return node;
  if (act != "relu") unsupported(l.name, l.type + " with activation " + act);
  nn::GraphNode r;
  r.op = nn::GraphOp::relu;
  r.name = node + ".relu";
  r.inputs = {node};
  add_node(r, channels(node));
  return r.name;
}

FloatTensor Converter::variable(const Layer& l, int64_t object, const std::string& var, const std::vector<int64_t>& want) const {
  const int64_t v = objects_.child(object, var);
  if (v < 0) fail(l, "no variable '" + var + "' under the layer in the checkpoint's object graph");
  const std::string* key = nullptr;
  for (const auto& a : objects_.nodes[static_cast<size_t>(v)].attributes)
    if (a.name == "VARIABLE_VALUE") key = &a.checkpoint_key;
  if (!key) fail(l, "variable '" + var + "' has no VARIABLE_VALUE in the checkpoint");
  const auto it = tensors_.find(*key);
  if (it == tensors_.end()) fail(l, "variable '" + var + "' (" + *key + ") is not a float32 tensor of the checkpoint");
  if (it->second.shape != want)
    fail(l, var + " has shape " + dims_text(it->second.shape) + " in the checkpoint, the config and the layer's input say " +
                dims_text(want));
  return it->second;
}

void Converter::add_weight(const std::string& node, std::string name, std::vector<int64_t> shape, std::vector<float> values) {
  weights_.push_back({node, nn::StateTensor{std::move(name), std::move(shape), std::move(values)}});
}

std::vector<Value> Converter::model(const json& model, int64_t object, const std::vector<Value>* bound) {
  const std::string mname = model.contains("name") && model["name"].is_string() ? model["name"].get<std::string>()
                                                                                : std::string("model");
  const std::string at = file_ + ": model '" + mname + "'";
  if (!model.contains("config") || !model["config"].is_object()) throw Error(at + ": has no config");
  const json& config = model["config"];
  for (const char* k : {"layers", "input_layers", "output_layers"})
    if (!config.contains(k) || !config[k].is_array()) throw Error(at + ": config has no '" + k + "' list");
  if (object < 0 || object >= static_cast<int64_t>(objects_.nodes.size()))
    throw Error(at + ": not in the checkpoint's object graph");
  if (depth_ >= 16) throw Error(at + ": models nested more than 16 deep");
  struct Depth {
    int& d;
    explicit Depth(int& v) : d(++v) {}
    ~Depth() { --d; }
  } depth(depth_);

  // The layers, their calls, and how many calls read each layer's output.
  std::vector<Layer> layers;
  std::map<std::string, int64_t> consumers;
  std::set<std::string> names;
  for (const json& j : config["layers"]) {
    Layer l;
    l.j = &j;
    l.index = static_cast<int64_t>(layers.size());
    if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string() || !j.contains("config") ||
        !j["config"].is_object())
      throw Error(at + ": layer " + std::to_string(l.index) + " has no class_name and config");
    l.cls = j["class_name"].get<std::string>();
    l.name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : cfg_string(l, "name", "");
    l.type = l.cls;
    if (j["config"].contains("function") && j["config"]["function"].is_string())
      l.type += "/" + j["config"]["function"].get<std::string>();
    if (l.name.empty()) throw Error(at + ": layer " + std::to_string(l.index) + " has no name");
    if (!names.insert(l.name).second) throw Error(at + ": two layers are called '" + l.name + "'");
    if (!j.contains("inbound_nodes") || !j["inbound_nodes"].is_array()) fail(l, "has no inbound_nodes");
    if (!j["inbound_nodes"].empty()) {
      l.call = parse_call(l);
      for (const Ref& r : l.call.args) ++consumers[r.layer];
      for (const Ref& r : l.call.kwarg_refs()) ++consumers[r.layer];
    } else if (l.cls != "InputLayer") {
      fail(l, "has no inputs");
    }
    layers.push_back(std::move(l));
  }
  std::vector<Ref> inputs, outputs;
  for (const char* k : {"input_layers", "output_layers"})
    for (const json& e : config[k]) {
      const auto r = as_ref(e);
      if (!r) throw Error(at + ": " + k + " entry " + e.dump() + " is not a layer reference");
      (std::string(k) == "input_layers" ? inputs : outputs).push_back(*r);
    }
  for (const Ref& r : outputs) ++consumers[r.layer];
  if (!bound && inputs.size() != 1)
    throw Error(at + ": has " + std::to_string(inputs.size()) + " inputs; strata graphs take one");
  if (bound && bound->size() != inputs.size())
    throw Error(at + ": is called with " + std::to_string(bound->size()) + " tensors, takes " + std::to_string(inputs.size()));

  std::map<std::pair<std::string, int64_t>, Value> values;
  // A nested model's inputs are the tensors it is called with.
  if (bound)
    for (size_t i = 0; i < inputs.size(); ++i) values[{inputs[i].layer, 0}] = (*bound)[i];

  // Layers in dependency order; Keras writes them so, but a list out of order costs only a pass.
  std::set<std::string> done;
  for (const auto& [key, v] : values) done.insert(key.first);
  std::vector<const Layer*> pending;
  for (const Layer& l : layers)
    if (!done.count(l.name)) pending.push_back(&l);
  while (!pending.empty()) {
    std::vector<const Layer*> later;
    for (const Layer* l : pending) {
      bool ready = true;
      for (const Ref& r : l->call.args) ready = ready && done.count(r.layer);
      for (const Ref& r : l->call.kwarg_refs()) ready = ready && done.count(r.layer);
      if (!ready) {
        later.push_back(l);
        continue;
      }
      if (l->cls == "InputLayer" && bound) fail(*l, "is not one of the model's input_layers");
      convert(*l, object, values, consumers);
      done.insert(l->name);
    }
    if (later.size() == pending.size()) {
      const Layer& l = *later.front();
      std::string missing;
      for (const Ref& r : l.call.args) if (!names.count(r.layer)) missing = r.layer;
      for (const Ref& r : l.call.kwarg_refs()) if (!names.count(r.layer)) missing = r.layer;
      fail(l, missing.empty() ? std::string("its inputs form a cycle") : "reads layer '" + missing + "', which the model does not have");
    }
    pending.swap(later);
  }
  // A softplus or tanh that fed no mish (a dangling one) is not something strata can run.
  for (const auto& [key, v] : values)
    if ((v.kind == Kind::softplus || v.kind == Kind::tanh_softplus) && !fused_.count(v.layer))
      tensor(v);

  std::vector<Value> out;
  for (const Ref& r : outputs) {
    const auto it = values.find({r.layer, r.tensor});
    if (it == values.end()) throw Error(at + ": output " + r.layer + ":" + std::to_string(r.tensor) + " is not computed");
    out.push_back(it->second);
  }
  return out;
}

void Converter::convert(const Layer& l, int64_t model_object, std::map<std::pair<std::string, int64_t>, Value>& values,
                        const std::map<std::string, int64_t>& consumers) {
  const auto arg = [&](const Ref& r) -> const Value& {
    const auto it = values.find({r.layer, r.tensor});
    if (it == values.end()) fail(l, "reads output " + std::to_string(r.tensor) + " of '" + r.layer + "', which has no such output");
    return it->second;
  };
  const auto kwarg = [&](const char* key) -> std::optional<Value> {
    if (!l.call.kwargs.contains(key)) return std::nullopt;
    const auto r = as_ref(l.call.kwargs[key]);
    if (!r) return std::nullopt;
    return arg(*r);
  };
  const auto set = [&](Value v) {
    v.layer = l.name;
    v.type = l.type;
    values[{l.name, 0}] = std::move(v);
  };
  const auto set_node = [&](const std::string& node) {
    Value v;
    v.node = node;
    set(v);
  };
  const auto object = [&]() {
    const int64_t o = objects_.child(model_object, "layer-" + std::to_string(l.index));
    if (o < 0) fail(l, "no object 'layer-" + std::to_string(l.index) + "' for it in the checkpoint's object graph");
    return o;
  };
  const auto one_input = [&]() -> const Value& {
    if (l.call.args.size() != 1) fail(l, "takes one input, has " + std::to_string(l.call.args.size()));
    return tensor(arg(l.call.args[0]));
  };
  const auto consumed_once = [&]() {
    const auto it = consumers.find(l.name);
    const int64_t n = it == consumers.end() ? 0 : it->second;
    if (n != 1) unsupported(l.name, l.type, "feeds " + std::to_string(n) + " layers; only x * tanh(softplus(x)), Mish, is supported");
  };
  const std::string fn = l.type.size() > l.cls.size() ? l.type.substr(l.cls.size() + 1) : "";

  if (l.cls == "InputLayer") {
    const auto shape = items(cfg(l, "batch_input_shape"));
    if (shape.size() != 4 || !shape.back().is_number_integer() || shape.back().get<int64_t>() <= 0)
      fail(l, "batch_input_shape " + cfg(l, "batch_input_shape").dump() + " is not [batch, height, width, channels]");
    nn::GraphNode n;
    n.op = nn::GraphOp::input;
    n.name = l.name;
    n.channels = shape.back().get<int64_t>();
    if (n.channels > kMaxChannels) fail(l, "has " + std::to_string(n.channels) + " channels");
    if (!graph_.nodes.empty()) fail(l, "is a second input; strata graphs take one");
    add_node(n, n.channels);
    set_node(n.name);
    return;
  }
  if (l.cls == "Functional" || l.cls == "Model") {  // a nested model: its layers join this graph
    std::vector<Value> in;
    for (const Ref& r : l.call.args) in.push_back(tensor(arg(r)));
    const auto out = model(*l.j, object(), &in);
    for (size_t t = 0; t < out.size(); ++t) values[{l.name, static_cast<int64_t>(t)}] = out[t];
    return;
  }
  if (l.cls == "Conv2D" || l.cls == "DepthwiseConv2D") {
    const bool depthwise = l.cls == "DepthwiseConv2D";
    const Value& in = one_input();
    const int64_t k = cfg_square(l, "kernel_size");
    if (k < 1 || k > 1024) fail(l, "kernel_size " + std::to_string(k) + " out of range");
    const std::string padding = cfg_string(l, "padding", "valid");
    if (cfg_square(l, "strides") != 1) unsupported(l.name, l.type, "strides other than 1");
    if (cfg_square(l, "dilation_rate") != 1) unsupported(l.name, l.type, "dilation other than 1");
    if (cfg_string(l, "data_format", "channels_last") != "channels_last") unsupported(l.name, l.type, "channels_first");
    if (!((padding == "same" && k % 2 == 1) || (padding == "valid" && k == 1)))
      unsupported(l.name, l.type, "padding " + padding + " with a " + std::to_string(k) + "x" + std::to_string(k) + " kernel");
    const int64_t cin = channels(in.node);
    const bool bias = cfg_bool(l, "use_bias", true);
    const int64_t o = object();
    nn::GraphNode n;
    n.name = l.name;
    n.inputs = {in.node};
    n.kernel = k;
    n.bias = bias;
    int64_t cout = cin;
    if (depthwise) {
      if ((*l.j)["config"].contains("depth_multiplier") && cfg_int(l, "depth_multiplier") != 1)
        unsupported(l.name, l.type, "depth_multiplier other than 1");
      n.op = nn::GraphOp::depthwise_conv2d;
      const FloatTensor w = variable(l, o, "depthwise_kernel", {k, k, cin, 1});
      std::vector<float> t(w.values.size());  // [kh, kw, c, 1] -> [c, 1, kh, kw]
      for (int64_t y = 0; y < k; ++y)
        for (int64_t x = 0; x < k; ++x)
          for (int64_t c = 0; c < cin; ++c) t[static_cast<size_t>((c * k + y) * k + x)] = w.values[static_cast<size_t>((y * k + x) * cin + c)];
      add_weight(n.name, n.name + ".weight", {cin, 1, k, k}, std::move(t));
    } else {
      if ((*l.j)["config"].contains("groups") && cfg_int(l, "groups") != 1) unsupported(l.name, l.type, "groups other than 1");
      cout = cfg_int(l, "filters");
      if (cout <= 0 || cout > kMaxChannels) fail(l, "filters " + std::to_string(cout) + " out of range");
      n.op = nn::GraphOp::conv2d;
      n.channels = cout;
      const FloatTensor w = variable(l, o, "kernel", {k, k, cin, cout});
      std::vector<float> t(w.values.size());  // [kh, kw, in, out] -> [out, in, kh, kw]
      for (int64_t y = 0; y < k; ++y)
        for (int64_t x = 0; x < k; ++x)
          for (int64_t i = 0; i < cin; ++i)
            for (int64_t c = 0; c < cout; ++c)
              t[static_cast<size_t>(((c * cin + i) * k + y) * k + x)] = w.values[static_cast<size_t>(((y * k + x) * cin + i) * cout + c)];
      add_weight(n.name, n.name + ".weight", {cout, cin, k, k}, std::move(t));
    }
    if (bias) add_weight(n.name, n.name + ".bias", {cout}, variable(l, o, "bias", {cout}).values);
    add_node(n, cout);
    set_node(conv_activation(l, n.name));
    return;
  }
  if (l.cls == "BatchNormalization") {
    const Value& in = one_input();
    const auto axis = items(cfg(l, "axis"));
    if (axis.size() != 1 || !axis[0].is_number_integer() || (axis[0].get<int64_t>() != 3 && axis[0].get<int64_t>() != -1))
      unsupported(l.name, l.type, "axis " + cfg(l, "axis").dump() + " (only the channels, 3 or -1)");
    const json& eps = cfg(l, "epsilon");
    const json& momentum = cfg(l, "momentum");
    if (!eps.is_number() || !momentum.is_number()) fail(l, "epsilon and momentum must be numbers");
    const int64_t c = channels(in.node);
    const int64_t o = object();
    nn::GraphNode n;
    n.op = nn::GraphOp::batch_norm;
    n.name = l.name;
    n.inputs = {in.node};
    n.eps = eps.get<double>();
    n.momentum = graph_momentum(momentum.get<double>());
    // center / scale false: Keras has no beta / gamma variable; the constant they stand for.
    // The moving statistics first: they always exist, so `c` is known to be real before any
    // constant gamma or beta of that size is made.
    FloatTensor mean = variable(l, o, "moving_mean", {c}), var = variable(l, o, "moving_variance", {c});
    add_weight(n.name, n.name + ".weight", {c},
               cfg_bool(l, "scale", true) ? variable(l, o, "gamma", {c}).values : std::vector<float>(static_cast<size_t>(c), 1.0f));
    add_weight(n.name, n.name + ".bias", {c},
               cfg_bool(l, "center", true) ? variable(l, o, "beta", {c}).values : std::vector<float>(static_cast<size_t>(c), 0.0f));
    add_weight(n.name, n.name + ".running_mean", {c}, std::move(mean.values));
    add_weight(n.name, n.name + ".running_var", {c}, std::move(var.values));
    add_node(n, c);
    set_node(n.name);
    return;
  }
  if (l.cls == "ReLU" || l.cls == "Activation") {
    const Value& in = one_input();
    if (l.cls == "Activation") {
      const std::string act = cfg_string(l, "activation", "linear");
      if (act == "linear") {
        set_node(in.node);
        return;
      }
      if (act != "relu") unsupported(l.name, l.type + "(" + act + ")");
    } else {
      const json& c = (*l.j)["config"];
      const auto zero = [&](const char* k) { return !c.contains(k) || c[k].is_null() || (c[k].is_number() && c[k].get<double>() == 0.0); };
      if (!(c.contains("max_value") ? c["max_value"].is_null() : true) || !zero("negative_slope") || !zero("threshold"))
        unsupported(l.name, l.type, "a capped, leaky or thresholded ReLU");
    }
    nn::GraphNode n;
    n.op = nn::GraphOp::relu;
    n.name = l.name;
    n.inputs = {in.node};
    add_node(n, channels(in.node));
    set_node(n.name);
    return;
  }
  if (l.cls != "TFOpLambda" && l.cls != "SlicingOpLambda") unsupported(l.name, l.type);

  if (fn == "math.softplus") {
    consumed_once();
    Value v;
    v.kind = Kind::softplus;
    v.node = one_input().node;
    set(v);
    return;
  }
  if (fn == "math.tanh") {
    consumed_once();
    if (l.call.args.size() != 1) fail(l, "takes one input");
    const Value& in = arg(l.call.args[0]);
    if (in.kind != Kind::softplus) unsupported(l.name, l.type, "tanh is supported only as x * tanh(softplus(x)), Mish");
    fused_.insert(in.layer);
    Value v = in;
    v.kind = Kind::tanh_softplus;
    set(v);
    return;
  }
  if (fn == "math.multiply") {
    const auto y = kwarg("y");
    if (l.call.args.size() != 1 || !y) unsupported(l.name, l.type, "only x * tanh(softplus(x)), Mish, of two tensors");
    const Value& x = arg(l.call.args[0]);
    const Value* t = x.kind == Kind::tanh_softplus ? &x : &*y;
    const Value* other = t == &x ? &*y : &x;
    if (t->kind != Kind::tanh_softplus || other->kind != Kind::tensor || t->node != other->node)
      unsupported(l.name, l.type, "only x * tanh(softplus(x)), Mish, with the same x");
    fused_.insert(t->layer);
    nn::GraphNode n;
    n.op = nn::GraphOp::mish;
    n.name = l.name;
    n.inputs = {other->node};
    add_node(n, channels(other->node));
    set_node(n.name);
    return;
  }
  if (fn == "__operators__.add" || fn == "math.add") {
    const auto y = kwarg("y");
    if (l.call.args.size() != 1 || !y) unsupported(l.name, l.type, "only the sum of two tensors");
    const Value& a = tensor(arg(l.call.args[0]));
    const Value& b = tensor(*y);
    if (channels(a.node) != channels(b.node))
      fail(l, "adds tensors of " + std::to_string(channels(a.node)) + " and " + std::to_string(channels(b.node)) + " channels");
    nn::GraphNode n;
    n.op = nn::GraphOp::add;
    n.name = l.name;
    n.inputs = {a.node, b.node};
    add_node(n, channels(a.node));
    set_node(n.name);
    return;
  }
  if (fn == "concat") {
    const json axis = l.call.kwargs.contains("axis") ? l.call.kwargs["axis"] : json(0);
    if (!axis.is_number_integer() || (axis.get<int64_t>() != -1 && axis.get<int64_t>() != 3))
      unsupported(l.name, l.type, "axis " + axis.dump() + " (only the channels, -1 or 3)");
    nn::GraphNode n;
    n.op = nn::GraphOp::concat;
    n.name = l.name;
    int64_t c = 0;
    for (const Ref& r : l.call.args) {
      const Value& v = tensor(arg(r));
      n.inputs.push_back(v.node);
      c += channels(v.node);
    }
    add_node(n, c);
    set_node(n.name);
    return;
  }
  if (fn == "compat.v1.shape" || fn == "shape") {
    Value v;
    v.kind = Kind::shape;
    v.node = one_input().node;
    set(v);
    return;
  }
  if (fn == "__operators__.getitem" || fn == "math.truediv" || fn == "cast") {
    if (l.call.args.size() != 1) fail(l, "takes one input");
    Value v = arg(l.call.args[0]);
    if (v.kind != Kind::shape) unsupported(l.name, l.type, "only in the shape arithmetic of image.resize's size");
    const json& kw = l.call.kwargs;
    if (fn == "__operators__.getitem") {
      const json spec = kw.contains("slice_spec") ? kw["slice_spec"] : json();
      const auto is = [&](const char* k, int64_t want) {
        return spec.is_object() && spec.contains(k) && spec[k].is_number_integer() && spec[k].get<int64_t>() == want;
      };
      const bool step_ok = spec.is_object() && (!spec.contains("step") || spec["step"].is_null() || is("step", 1));
      if (v.sliced || !is("start", 1) || !is("stop", 3) || !step_ok)
        unsupported(l.name, l.type, "only shape(x)[1:3], the height and width");
      v.sliced = true;
    } else if (fn == "math.truediv") {
      const json y = kw.contains("y") ? kw["y"] : json();
      if (!v.sliced || v.divisor != 1 || v.cast || !y.is_number_integer() || y.get<int64_t>() < 1)
        unsupported(l.name, l.type, "only shape(x)[1:3] / D with a positive integer D");
      v.divisor = y.get<int64_t>();
    } else {
      if (!kw.contains("dtype") || kw["dtype"] != "int32") unsupported(l.name, l.type, "only a cast of a size to int32");
      v.cast = true;
    }
    set(v);
    return;
  }
  if (fn == "image.resize") {
    const Value& x = one_input();
    const auto size = kwarg("size");
    if (!size || size->kind != Kind::shape || !size->sliced)
      unsupported(l.name, l.type, "only a size computed as shape(x)[1:3] (/ D)");
    const json& kw = l.call.kwargs;
    const std::string method = kw.contains("method") && kw["method"].is_string() ? kw["method"].get<std::string>() : "bilinear";
    if (method != "bilinear") unsupported(l.name, l.type, "method " + method);
    if (kw.contains("preserve_aspect_ratio") && kw["preserve_aspect_ratio"] != false)
      unsupported(l.name, l.type, "preserve_aspect_ratio");
    if (kw.contains("antialias") && !kw["antialias"].is_boolean()) fail(l, "antialias is not true/false");
    nn::GraphNode n;
    n.op = nn::GraphOp::resize;
    n.name = l.name;
    n.inputs = {x.node};
    n.size_of = size->node;
    n.divisor = size->divisor;
    n.antialias = kw.contains("antialias") && kw["antialias"].get<bool>();
    add_node(n, channels(x.node));
    set_node(n.name);
    return;
  }
  if (fn == "math.l2_normalize" || fn == "nn.l2_normalize") {
    const Value& x = one_input();
    const json& kw = l.call.kwargs;
    const json axis = kw.contains("axis") ? kw["axis"] : json();
    const auto ax = items(axis);
    if (ax.size() != 1 || !ax[0].is_number_integer() || (ax[0].get<int64_t>() != -1 && ax[0].get<int64_t>() != 3))
      unsupported(l.name, l.type, "axis " + axis.dump() + " (only the channels, -1 or 3)");
    const json eps = kw.contains("epsilon") ? kw["epsilon"] : json(1e-12);
    if (!eps.is_number() || eps.get<double>() <= 0) fail(l, "epsilon must be a positive number");
    nn::GraphNode n;
    n.op = nn::GraphOp::l2_normalize;
    n.name = l.name;
    n.inputs = {x.node};
    n.eps = eps.get<double>();
    add_node(n, channels(x.node));
    set_node(n.name);
    return;
  }
  unsupported(l.name, l.type);
}

KerasConversion Converter::finish(const Value& output) {
  if (output.kind != Kind::tensor) tensor(output);
  // Keep what the output depends on (a branch that leads nowhere would otherwise be computed,
  // and could end up last, where the graph's output is).
  std::set<std::string> keep{output.node};
  for (auto it = graph_.nodes.rbegin(); it != graph_.nodes.rend(); ++it) {
    if (!keep.count(it->name)) continue;
    keep.insert(it->inputs.begin(), it->inputs.end());
    if (!it->size_of.empty()) keep.insert(it->size_of);
  }
  KerasConversion out;
  for (const auto& n : graph_.nodes)
    if (keep.count(n.name)) out.graph.nodes.push_back(n);
  for (auto& [node, t] : weights_)
    if (keep.count(node)) out.weights.push_back(std::move(t));
  // Every kept node leads to the output, so in dependency order the output comes last.
  check(!out.graph.nodes.empty() && out.graph.nodes.back().name == output.node, file_ + ": the output is not the graph's last node");
  try {
    out.graph.validate();
  } catch (const Error& e) {
    throw Error(file_ + ": " + e.what());
  }
  return out;
}

}  // namespace

KerasConversion convert_keras_model(const nlohmann::json& model, const TrackableObjectGraph& objects,
                                    const std::map<std::string, FloatTensor>& tensors, const std::string& file) {
  Converter c(objects, tensors, file);
  try {
    const auto outputs = c.model(model, 0, nullptr);
    if (outputs.size() != 1)
      throw Error(file + ": the model has " + std::to_string(outputs.size()) + " outputs; strata graphs have one");
    return c.finish(outputs[0]);
  } catch (const nlohmann::json::exception& e) {  // a config of unexpected shape
    throw Error(file + ": malformed Keras model config: " + e.what());
  }
}

ParameterCounts count_parameters(const std::vector<nn::StateTensor>& weights) {
  ParameterCounts p;
  for (const auto& t : weights) {
    const auto n = static_cast<int64_t>(t.values.size());
    p.all += n;
    const bool running = t.name.ends_with(".running_mean") || t.name.ends_with(".running_var");
    if (!running) p.trainable += n;
  }
  return p;
}

}  // namespace strata::import
