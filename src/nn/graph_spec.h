#pragma once
// A network as a small DAG of strata ops, written as text in a checkpoint (metadata "graph"), so
// that a model imported from elsewhere (strata import-model) or described by hand runs, trains
// and predicts like a built-in one. The text is one node a line, in topological order:
//
//   strata-graph/1
//   input input_1 channels=9
//   conv2d conv2d in=input_1 channels=64 kernel=3 bias=1
//   batch_norm batch_normalization in=conv2d eps=0.001 momentum=0.01
//   mish mish_0 in=batch_normalization
//   resize resize_0 in=mish_0 size_of=mish_0 divisor=2 antialias=1
//   ...
//   conv2d head in=... channels=9 kernel=1 bias=1
//
// The first node is the only input; the last node is the output (logits). A node's parameters
// are "<name>.weight", "<name>.bias" (conv2d [c_out, c_in, k, k]; depthwise_conv2d [c, 1, k, k]),
// batch_norm "<name>.weight|bias|running_mean|running_var" [c]. Names are free of spaces, '='
// and ','.
//
// Ops and attributes (all convolutions stride 1, "same" padding, odd kernel):
//   input            channels
//   conv2d           in (1), channels (out), kernel, bias (0/1)
//   depthwise_conv2d in (1), kernel, bias (channels = the input's)
//   batch_norm       in (1), eps, momentum (PyTorch's convention: running = (1 - m) running + m batch)
//   mish, relu       in (1)
//   add              in (2), same shape
//   concat           in (>= 1), channels joined in the order given
//   resize           in (1), size_of (a node whose spatial size sets the output's), divisor
//                    (output = floor(size / divisor)), antialias (0/1); bilinear, TF2 half-pixel
//                    centres (nn/ops/resize.h)
//   l2_normalize     in (1), eps: over channels, x / sqrt(max(sum x^2, eps))
#include <cstdint>
#include <string>
#include <vector>

namespace strata::nn {

enum class GraphOp { input, conv2d, depthwise_conv2d, batch_norm, mish, relu, add, concat, resize, l2_normalize };

const char* graph_op_name(GraphOp op);

struct GraphNode {
  GraphOp op = GraphOp::input;
  std::string name;
  std::vector<std::string> inputs;
  int64_t channels = 0;  // input: bands; conv2d: output channels
  int64_t kernel = 1;    // conv2d, depthwise_conv2d
  bool bias = false;     // conv2d, depthwise_conv2d
  double eps = 0.0;      // batch_norm, l2_normalize
  double momentum = 0.1; // batch_norm
  std::string size_of;   // resize
  int64_t divisor = 1;   // resize
  bool antialias = false;// resize
};

struct GraphSpec {
  std::vector<GraphNode> nodes;

  // Error naming the node and the reason: unique names, inputs defined before use, arity, the
  // attributes each op needs, one input node first, channel counts that agree (add, concat,
  // batch norm).
  void validate() const;
  std::string to_text() const;
  // Error "graph line N: <reason>" for malformed text; validates.
  static GraphSpec parse(const std::string& text);

  int64_t in_channels() const;   // the input node's channels
  int64_t out_channels() const;  // the output node's (computed through the graph)
  // Output channels of every node, in node order.
  std::vector<int64_t> channels() const;
  int64_t index_of(const std::string& name) const;  // -1 when absent
};

}  // namespace strata::nn
