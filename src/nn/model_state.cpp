#include "nn/model_state.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/fnv1a.h"

namespace strata::nn {
namespace {


std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

int64_t parse_int(const std::string& key, const std::string& text) {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  check(!text.empty() && used == text.size(), "model state: metadata '" + key + "' is not an integer: '" + text + "'");
  return v;
}

float parse_float(const std::string& key, const std::string& text) {
  size_t used = 0;
  float v = 0.0f;
  try {
    v = std::stof(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  check(!text.empty() && used == text.size(), "model state: metadata '" + key + "' is not a number: '" + text + "'");
  return v;
}

std::string float_text(float v) {
  std::ostringstream o;
  o.precision(9);  // round-trips every float
  o << v;
  return o.str();
}

const StateTensor& require(const ModelState& state, const std::string& name) {
  const StateTensor* t = state.find(name);
  check(t != nullptr, "model state: missing tensor '" + name + "' (truncated, or saved from another model)");
  int64_t n = 1;
  for (int64_t d : t->shape) n = checked_mul(n, d);
  check(static_cast<int64_t>(t->values.size()) == n,
        "model state: tensor '" + name + "' holds " + std::to_string(t->values.size()) + " values for shape " +
            Shape(t->shape).str() + " (truncated?)");
  for (float v : t->values) check(std::isfinite(v), "model state: tensor '" + name + "' holds NaN or Inf");
  return *t;
}

void load_param(Param& p, const ModelState& state, const std::string& name) {
  const StateTensor& t = require(state, name);
  check(Shape(t.shape) == p.shape, "model state: tensor '" + name + "' has shape " + Shape(t.shape).str() +
                                       ", the model expects " + p.shape.str());
  p.set(t.values);
}

}  // namespace

std::string join_names(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += ',';
    s += items[i];
  }
  return s;
}

const StateTensor* ModelState::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const std::string& ModelState::meta(const std::string& key) const {
  const auto it = metadata.find(key);
  check(it != metadata.end(), "model state: missing metadata '" + key + "' (truncated, or not a strata model?)");
  return it->second;
}

ModelState capture_state(const Model& model, const Adam* adam, const ModelInfo& info, const std::mt19937_64* rng) {
  ModelState s;
  const ModelConfig& c = model.config();
  std::vector<std::string> widths;
  for (int64_t w : c.widths) widths.push_back(std::to_string(w));
  s.metadata = {{"format", kStateFormat},
                {"arch", c.arch},
                {"in_bands", std::to_string(c.in_bands)},
                {"classes", std::to_string(c.classes)},
                {"widths", join_names(widths)},
                {"normalization.mode", info.normalization.mode == NormalizationMode::standard ? "standard" : "log_sigmoid"},
                {"band_names", join_names(info.band_names)},
                {"class_names", join_names(info.class_names)},
                {"step", std::to_string(adam ? adam->steps_taken() : 0)}};
  if (c.arch == "graph") s.metadata["graph"] = c.graph;
  for (Param* p : model.params().all()) s.tensors.push_back({p->name, p->shape.dims(), p->get()});
  if (adam) {
    const AdamConfig& a = adam->config();
    s.metadata["adam.beta1"] = float_text(a.beta1);
    s.metadata["adam.beta2"] = float_text(a.beta2);
    s.metadata["adam.eps"] = float_text(a.eps);
    s.metadata["adam.weight_decay"] = float_text(a.weight_decay);
    s.metadata["adam.decoupled"] = a.decoupled ? "1" : "0";
    for (Param* p : const_cast<Adam*>(adam)->moments().all()) s.tensors.push_back({p->name, p->shape.dims(), p->get()});
  }
  if (rng) {
    std::ostringstream o;
    o << *rng;
    s.metadata["rng_state"] = o.str();
  }
  const int64_t bands = info.normalization.bands();
  s.tensors.push_back({"normalization.a", {bands}, info.normalization.a});
  s.tensors.push_back({"normalization.b", {bands}, info.normalization.b});
  return s;
}

ModelConfig config_from_state(const ModelState& state) {
  check(state.meta("format") == kStateFormat,
        "model state: format '" + state.meta("format") + "', expected '" + kStateFormat + "'");
  ModelConfig c;
  c.arch = state.meta("arch");
  c.in_bands = parse_int("in_bands", state.meta("in_bands"));
  c.classes = parse_int("classes", state.meta("classes"));
  c.widths.clear();
  for (const std::string& w : split(state.meta("widths"))) c.widths.push_back(parse_int("widths", w));
  if (c.arch == "graph") c.graph = state.meta("graph");
  c.validate();
  return c;
}

ModelInfo info_from_state(const ModelState& state) {
  ModelInfo info;
  const std::string mode = state.meta("normalization.mode");
  check(mode == "standard" || mode == "log_sigmoid", "model state: unknown normalization mode '" + mode + "'");
  info.normalization.mode = mode == "standard" ? NormalizationMode::standard : NormalizationMode::log_sigmoid;
  info.normalization.a = require(state, "normalization.a").values;
  info.normalization.b = require(state, "normalization.b").values;
  info.band_names = split(state.meta("band_names"));
  info.class_names = split(state.meta("class_names"));
  return info;
}

void load_weights(Model& model, const ModelState& state) {
  const ModelConfig saved = config_from_state(state);
  const ModelConfig& mine = model.config();
  check(saved.arch == mine.arch && saved.in_bands == mine.in_bands && saved.classes == mine.classes &&
            saved.widths == mine.widths && saved.graph == mine.graph,
        "model state: saved from " + saved.describe() + ", cannot load into " + mine.describe());
  for (Param* p : model.params().all()) load_param(*p, state, p->name);
}

void load_optimizer(Adam& adam, const ModelState& state) {
  const AdamConfig& a = adam.config();
  check(parse_float("adam.beta1", state.meta("adam.beta1")) == a.beta1 &&
            parse_float("adam.beta2", state.meta("adam.beta2")) == a.beta2 &&
            (state.meta("adam.decoupled") == "1") == a.decoupled,
        "model state: the optimiser settings differ from the checkpoint's");
  for (Param* p : adam.moments().all()) load_param(*p, state, p->name);
  adam.set_steps_taken(parse_int("step", state.meta("step")));
}

void load_rng(std::mt19937_64& rng, const ModelState& state) {
  std::istringstream in(state.meta("rng_state"));
  in >> rng;
  check(!in.fail(), "model state: rng_state is not a valid generator state");
}

std::unique_ptr<Model> model_from_state(Backend& be, const ModelState& state) {
  auto model = make_model(be, config_from_state(state), 0);
  load_weights(*model, state);
  return model;
}

std::string prediction_hash(const ModelState& state) {
  Fnv1a h;
  auto add_text = [&h](const std::string& s) { h.add(s.data(), s.size() + 1); };  // with its terminator
  for (const char* key :
       {"arch", "in_bands", "classes", "widths", "graph", "normalization.mode", "band_names", "class_names"}) {
    // Only graph models have a graph: the other models' hashes stay what earlier versions wrote.
    if (std::string(key) == "graph" && !state.metadata.count(key)) continue;
    add_text(key);
    const auto it = state.metadata.find(key);
    add_text(it == state.metadata.end() ? std::string() : it->second);
  }
  for (const StateTensor& t : state.tensors) {
    if (t.name.rfind("adam.", 0) == 0) continue;
    add_text(t.name);
    h.add(t.shape.data(), t.shape.size() * sizeof(int64_t));
    h.add(t.values.data(), t.values.size() * sizeof(float));
  }
  return h.hex();
}

}  // namespace strata::nn
