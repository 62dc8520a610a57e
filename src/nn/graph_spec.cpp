#include "nn/graph_spec.h"

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

#include "core/error.h"

namespace strata::nn {
namespace {

constexpr const char* kGraphFormat = "strata-graph/1";

const std::map<std::string, GraphOp>& op_names() {
  static const std::map<std::string, GraphOp> names = {
      {"input", GraphOp::input},     {"conv2d", GraphOp::conv2d}, {"depthwise_conv2d", GraphOp::depthwise_conv2d},
      {"batch_norm", GraphOp::batch_norm}, {"mish", GraphOp::mish}, {"relu", GraphOp::relu},
      {"add", GraphOp::add},         {"concat", GraphOp::concat}, {"resize", GraphOp::resize},
      {"l2_normalize", GraphOp::l2_normalize}};
  return names;
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c == ' ' || c == '=' || c == ',' || c == '\t' || c == '\n' || c == '\r') return false;
  return true;
}

std::string double_text(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

int64_t parse_int(const std::string& what, const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  check(ec == std::errc() && end == text.data() + text.size(), what + " is not an integer: '" + text + "'");
  return v;
}

double parse_double(const std::string& what, const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  check(!text.empty() && used == text.size() && std::isfinite(v), what + " is not a number: '" + text + "'");
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

}  // namespace

const char* graph_op_name(GraphOp op) {
  for (const auto& [name, o] : op_names())
    if (o == op) return name.c_str();
  return "?";
}

int64_t GraphSpec::index_of(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name) return static_cast<int64_t>(i);
  return -1;
}

std::vector<int64_t> GraphSpec::channels() const {
  std::vector<int64_t> c(nodes.size(), 0);
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const GraphNode& n = nodes[i];
    const std::string at = "graph: node '" + n.name + "' (" + graph_op_name(n.op) + ")";
    std::vector<int64_t> in;
    for (const std::string& name : n.inputs) {
      const auto it = seen.find(name);
      check(it != seen.end(), at + ": input '" + name + "' is not defined before it");
      in.push_back(c[it->second]);
    }
    switch (n.op) {
      case GraphOp::input: c[i] = n.channels; break;
      case GraphOp::conv2d: c[i] = n.channels; break;
      case GraphOp::add:
        check(in.size() == 2 && in[0] == in[1], at + ": needs two inputs with the same channels");
        c[i] = in[0];
        break;
      case GraphOp::concat:
        for (int64_t v : in) c[i] += v;
        break;
      default: c[i] = in.empty() ? 0 : in[0]; break;
    }
    seen[n.name] = i;
  }
  return c;
}

void GraphSpec::validate() const {
  check(!nodes.empty(), "graph: no nodes");
  check(nodes.front().op == GraphOp::input, "graph: the first node must be the input");
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const GraphNode& n = nodes[i];
    const std::string at = "graph: node '" + n.name + "' (" + graph_op_name(n.op) + ")";
    check(valid_name(n.name), "graph: node " + std::to_string(i) + " has an invalid name '" + n.name + "'");
    check(!seen.count(n.name), at + ": the name is used twice");
    check(i == 0 || n.op != GraphOp::input, at + ": only the first node may be an input");
    size_t arity = 1;
    switch (n.op) {
      case GraphOp::input: arity = 0; check(n.channels > 0, at + ": needs channels > 0"); break;
      case GraphOp::conv2d:
        check(n.channels > 0, at + ": needs channels > 0");
        [[fallthrough]];
      case GraphOp::depthwise_conv2d:
        check(n.kernel > 0 && n.kernel % 2 == 1, at + ": the kernel must be odd (same padding)");
        break;
      case GraphOp::batch_norm:
        check(n.eps > 0 && n.momentum >= 0 && n.momentum <= 1, at + ": needs eps > 0 and momentum in [0, 1]");
        break;
      case GraphOp::l2_normalize: check(n.eps > 0, at + ": needs eps > 0"); break;
      case GraphOp::add: arity = 2; break;
      case GraphOp::concat: arity = 0; check(!n.inputs.empty(), at + ": needs at least one input"); break;
      case GraphOp::resize:
        check(n.divisor >= 1, at + ": needs divisor >= 1");
        check(seen.count(n.size_of), at + ": size_of '" + n.size_of + "' is not defined before it");
        break;
      case GraphOp::mish:
      case GraphOp::relu: break;
    }
    if (arity > 0 || n.op == GraphOp::input)
      check(n.inputs.size() == arity, at + ": takes " + std::to_string(arity) + " input(s), has " +
                                          std::to_string(n.inputs.size()));
    for (const std::string& in : n.inputs)
      check(seen.count(in), at + ": input '" + in + "' is not defined before it");
    seen[n.name] = i;
  }
  const std::vector<int64_t> c = channels();
  for (size_t i = 0; i < nodes.size(); ++i)
    check(c[i] > 0, "graph: node '" + nodes[i].name + "' has no channels");
}

int64_t GraphSpec::in_channels() const { return nodes.empty() ? 0 : nodes.front().channels; }
int64_t GraphSpec::out_channels() const { return nodes.empty() ? 0 : channels().back(); }

std::string GraphSpec::to_text() const {
  std::string t = std::string(kGraphFormat) + "\n";
  for (const GraphNode& n : nodes) {
    t += std::string(graph_op_name(n.op)) + " " + n.name;
    if (!n.inputs.empty()) {
      t += " in=";
      for (size_t i = 0; i < n.inputs.size(); ++i) t += (i ? "," : "") + n.inputs[i];
    }
    switch (n.op) {
      case GraphOp::input: t += " channels=" + std::to_string(n.channels); break;
      case GraphOp::conv2d: t += " channels=" + std::to_string(n.channels); [[fallthrough]];
      case GraphOp::depthwise_conv2d:
        t += " kernel=" + std::to_string(n.kernel) + " bias=" + (n.bias ? "1" : "0");
        break;
      case GraphOp::batch_norm: t += " eps=" + double_text(n.eps) + " momentum=" + double_text(n.momentum); break;
      case GraphOp::l2_normalize: t += " eps=" + double_text(n.eps); break;
      case GraphOp::resize:
        t += " size_of=" + n.size_of + " divisor=" + std::to_string(n.divisor) + " antialias=" + (n.antialias ? "1" : "0");
        break;
      default: break;
    }
    t += "\n";
  }
  return t;
}

GraphSpec GraphSpec::parse(const std::string& text) {
  GraphSpec g;
  std::istringstream in(text);
  std::string line;
  int64_t number = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::string at = "graph line " + std::to_string(number);
    if (!header) {
      check(line == kGraphFormat, at + ": expected '" + std::string(kGraphFormat) + "', found '" + line + "'");
      header = true;
      continue;
    }
    std::vector<std::string> words;
    for (const std::string& w : split(line, ' '))
      if (!w.empty()) words.push_back(w);
    check(words.size() >= 2, at + ": expected '<op> <name> [key=value ...]'");
    const auto op = op_names().find(words[0]);
    check(op != op_names().end(), at + ": unknown op '" + words[0] + "'");
    GraphNode n;
    n.op = op->second;
    n.name = words[1];
    for (size_t i = 2; i < words.size(); ++i) {
      const size_t eq = words[i].find('=');
      check(eq != std::string::npos && eq > 0, at + ": expected key=value, found '" + words[i] + "'");
      const std::string key = words[i].substr(0, eq), value = words[i].substr(eq + 1);
      const std::string what = at + ": " + key;
      if (key == "in") n.inputs = split(value, ',');
      else if (key == "channels") n.channels = parse_int(what, value);
      else if (key == "kernel") n.kernel = parse_int(what, value);
      else if (key == "bias") n.bias = parse_int(what, value) != 0;
      else if (key == "eps") n.eps = parse_double(what, value);
      else if (key == "momentum") n.momentum = parse_double(what, value);
      else if (key == "size_of") n.size_of = value;
      else if (key == "divisor") n.divisor = parse_int(what, value);
      else if (key == "antialias") n.antialias = parse_int(what, value) != 0;
      else throw Error(at + ": unknown attribute '" + key + "'");
    }
    g.nodes.push_back(std::move(n));
  }
  check(header, "graph: empty text (expected '" + std::string(kGraphFormat) + "')");
  g.validate();
  return g;
}

}  // namespace strata::nn
