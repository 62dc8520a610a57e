#include "nn/models/graph_model.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "core/error.h"
#include "nn/model.h"

namespace strata::nn {
namespace {

// Per node: its pixel size in input pixels (scale) and how far beyond its own footprint it sees.
struct Reach {
  int64_t scale = 1, radius = 0;
};

std::vector<Reach> reaches(const GraphSpec& g) {
  std::vector<Reach> r(g.nodes.size());
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const GraphNode& n = g.nodes[i];
    Reach in;
    for (const std::string& name : n.inputs) {
      const Reach& a = r[static_cast<size_t>(g.index_of(name))];
      in.scale = std::max(in.scale, a.scale);
      in.radius = std::max(in.radius, a.radius);
    }
    Reach out = in;
    switch (n.op) {
      case GraphOp::conv2d:
      case GraphOp::depthwise_conv2d: out.radius += (n.kernel / 2) * in.scale; break;
      case GraphOp::resize: {
        // Past an output pixel's footprint, bilinear reads at most one input pixel (of scale
        // s_in) each side; the antialiased triangle, widened by the ratio R = s_out / s_in,
        // reaches (R + 1) / 2 of them (1 for Dynamic World's halving).
        out.scale = r[static_cast<size_t>(g.index_of(n.size_of))].scale * n.divisor;
        const int64_t ratio = out.scale / in.scale;
        out.radius += n.antialias && ratio >= 1 ? in.scale * ((ratio + 1) / 2) : in.scale;
        break;
      }
      default: break;
    }
    r[i] = out;
  }
  return r;
}

}  // namespace

int64_t graph_receptive_radius(const GraphSpec& spec) {
  spec.validate();
  int64_t radius = 0;
  for (const Reach& r : reaches(spec)) radius = std::max(radius, r.radius);
  return radius;
}

int64_t graph_spatial_multiple(const GraphSpec& spec) {
  spec.validate();
  int64_t m = 1;
  for (const Reach& r : reaches(spec)) m = std::lcm(m, r.scale);
  return m;
}

namespace {

class GraphModel final : public Model {
 public:
  GraphModel(Backend& be, const ModelConfig& c, std::mt19937_64& rng, bool share_training_buffers)
      : Model(be, c), spec_(GraphSpec::parse(c.graph)), share_training_buffers_(share_training_buffers) {
    const std::vector<int64_t> channels = spec_.channels();
    nodes_.resize(spec_.nodes.size());
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Node& n = nodes_[i];
      n.spec = &spec_.nodes[i];
      n.c = channels[i];
      for (const std::string& in : n.spec->inputs) n.in.push_back(static_cast<size_t>(spec_.index_of(in)));
      if (n.spec->op == GraphOp::resize) n.size_of = static_cast<size_t>(spec_.index_of(n.spec->size_of));
      add_params(n, n.in.empty() ? 0 : channels[n.in.front()], rng);
    }
    for (const auto& users : consumers()) readers_.push_back(users.size());
    plan_inference();
    plan_training();
  }

  // Any size runs (a resize floors, as TensorFlow's); predict's tiles keep sizes and origins at
  // multiples of graph_spatial_multiple so that tiled equals whole.
  Act forward(const float* x, int64_t n, int64_t h, int64_t w, bool train) override {
    train_ = train;
    for (size_t i = 0; i < nodes_.size(); ++i) run(i, x, n, h, w);
    return nodes_.back().y;
  }

  void backward(const float* dlogits) override {
    check(train_, "graph model: backward needs a training forward first");
    for (Node& n : nodes_) n.grad_written = false;
    Node& out = nodes_.back();  // the output feeds nothing, so its gradient is never summed into
    out.dy = Act{const_cast<float*>(dlogits), out.y.n, out.y.c, out.y.h, out.y.w};
    out.grad_written = true;
    for (size_t i = nodes_.size(); i-- > 1;) back(i);
  }

 private:
  struct Node {
    const GraphNode* spec = nullptr;
    std::vector<size_t> in;
    size_t size_of = 0;
    int64_t c = 0;
    Param *w = nullptr, *b = nullptr, *gamma = nullptr, *beta = nullptr, *mean = nullptr, *var = nullptr;
    ActBuffer out, save_mean, save_invstd, fold_w, fold_b;  // out: the last node's training output
    Act y, dy;
    bool grad_written = false;
    // Training plan (plan_training): the shared slot of this node's training output (-1: the
    // node's own buffer, out), of its gradient (kCallerGradient: the caller's dlogits; a node
    // may share its consumer's, in place or handed on by an add), and per input the slot where
    // a second gradient is written before it is summed (-1: straight into the input's gradient).
    int64_t train_slot = -1;
    int64_t grad_slot = -1;
    std::vector<int64_t> scratch_slot;
    // Inference plan: the node whose buffer holds this node's output (itself unless folded or in
    // place), the slot of that buffer, and for a convolution the batch norm folded into it and
    // the activation (mish, relu) it applies to its own output (Conv2dShape::act).
    size_t alias = 0;
    int64_t slot = -1;
    int64_t folded_bn = -1;
    int64_t fused_act = -1;
  };

  void add_params(Node& n, int64_t c_in, std::mt19937_64& rng) {
    const GraphNode& s = *n.spec;
    const std::string& p = s.name;
    if (s.op == GraphOp::conv2d || s.op == GraphOp::depthwise_conv2d) {
      const bool dw = s.op == GraphOp::depthwise_conv2d;
      const int64_t fan_in = dw ? s.kernel * s.kernel : checked_product({c_in, s.kernel, s.kernel});
      const Shape shape = dw ? Shape{n.c, 1, s.kernel, s.kernel} : Shape{n.c, c_in, s.kernel, s.kernel};
      n.w = &params_.add(p + ".weight", shape, true, uniform_init(shape.numel(), fan_in, rng));
      if (s.bias) n.b = &params_.add(p + ".bias", Shape{n.c}, true, uniform_init(n.c, fan_in, rng));
    } else if (s.op == GraphOp::batch_norm) {
      const std::vector<float> ones(static_cast<size_t>(n.c), 1.0f), zeros(static_cast<size_t>(n.c), 0.0f);
      n.gamma = &params_.add(p + ".weight", Shape{n.c}, true, ones);
      n.beta = &params_.add(p + ".bias", Shape{n.c}, true, zeros);
      n.mean = &params_.add(p + ".running_mean", Shape{n.c}, false, zeros);
      n.var = &params_.add(p + ".running_var", Shape{n.c}, false, ones);
    }
  }

  // Which nodes read node i's output (for the inference plan).
  std::vector<std::vector<size_t>> consumers() const {
    std::vector<std::vector<size_t>> users(nodes_.size());
    for (size_t i = 0; i < nodes_.size(); ++i)
      for (size_t j : nodes_[i].in) users[j].push_back(i);
    return users;
  }

  void plan_inference() {
    const auto users = consumers();
    const size_t last = nodes_.size() - 1;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Node& n = nodes_[i];
      n.alias = i;
      if (n.in.size() != 1 || n.in[0] == 0) continue;  // never write over the caller's input
      const size_t src = n.in[0];
      const bool only_reader = users[src].size() == 1 && src != last;
      const GraphOp src_op = nodes_[src].spec->op;
      if (n.spec->op == GraphOp::batch_norm && only_reader &&
          (src_op == GraphOp::conv2d || src_op == GraphOp::depthwise_conv2d) && nodes_[src].folded_bn < 0) {
        nodes_[src].folded_bn = static_cast<int64_t>(i);
        n.alias = nodes_[src].alias;
      } else if ((n.spec->op == GraphOp::mish || n.spec->op == GraphOp::relu) && only_reader) {
        n.alias = nodes_[src].alias;
        // The convolution that writes the activation's input (directly, or through the batch norm
        // folded into it) applies it in its epilogue, while the output is in cache.
        size_t conv = src;
        if (src_op == GraphOp::batch_norm && nodes_[src].alias != src) conv = nodes_[src].in[0];
        const GraphOp conv_op = nodes_[conv].spec->op;
        const bool writes_src = conv == src || nodes_[conv].folded_bn == static_cast<int64_t>(src);
        if ((conv_op == GraphOp::conv2d || conv_op == GraphOp::depthwise_conv2d) && writes_src &&
            nodes_[conv].fused_act < 0)
          nodes_[conv].fused_act = static_cast<int64_t>(i);
      }
    }
    // A buffer (root) is free after the last node that reads any node stored in it.
    std::vector<size_t> free_after(nodes_.size(), 0);
    for (size_t i = 0; i < nodes_.size(); ++i) {
      size_t end = i == last ? nodes_.size() : i;
      for (size_t u : users[i]) end = std::max(end, u);  // resize's size_of reads only the shape
      size_t root = nodes_[i].alias;
      free_after[root] = std::max(free_after[root], end);
    }
    std::vector<size_t> slot_busy_until;  // per slot: the node after which it is free
    for (size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i].alias != i) continue;
      int64_t slot = -1;
      for (size_t s = 0; s < slot_busy_until.size() && slot < 0; ++s)
        if (slot_busy_until[s] < i) slot = static_cast<int64_t>(s);
      if (slot < 0) {
        slot = static_cast<int64_t>(slot_busy_until.size());
        slot_busy_until.push_back(0);
      }
      slot_busy_until[static_cast<size_t>(slot)] = free_after[i];
      nodes_[i].slot = slot;
    }
    slots_.resize(slot_busy_until.size());
  }

  // What backward reads besides the gradients: its input's output (x) for a convolution, batch
  // norm, mish and L2 normalisation; its own output (y) for a ReLU. (Batch norm reads y only
  // with BatchNormShape::relu, which a graph never sets; resize, add and concat read neither.)
  static bool backward_reads_input(GraphOp op) {
    return op == GraphOp::conv2d || op == GraphOp::depthwise_conv2d || op == GraphOp::batch_norm ||
           op == GraphOp::mish || op == GraphOp::l2_normalize;
  }
  static bool backward_reads_output(GraphOp op) { return op == GraphOp::relu; }
  // dx may be dy: the backward writes the gradient of its input over its own (nn/backend.h).
  static bool backward_in_place(GraphOp op) {
    return op == GraphOp::batch_norm || op == GraphOp::mish || op == GraphOp::relu;
  }

  // Slots of the training pool, handed out while the plan simulates a step: a free slot that is
  // large enough (the smallest such), else the largest free one (grown), else a new one. Sizes
  // are relative (channels / scale^2); the buffers grow to what the step's shapes need.
  struct SlotPlanner {
    std::vector<double> size;
    std::vector<int> holders;  // live tensors in each slot (0: free)
    bool share = true;
    int64_t take(double want) {
      int64_t best = -1;
      for (size_t s = 0; share && s < size.size(); ++s) {
        if (holders[s] > 0) continue;
        const bool fits = size[s] >= want;
        if (best < 0) { best = static_cast<int64_t>(s); continue; }
        const double b = size[static_cast<size_t>(best)];
        if (fits ? (b < want || size[s] < b) : (b < want && size[s] > b)) best = static_cast<int64_t>(s);
      }
      if (best < 0) {
        best = static_cast<int64_t>(size.size());
        size.push_back(0.0);
        holders.push_back(0);
      }
      size[static_cast<size_t>(best)] = std::max(size[static_cast<size_t>(best)], want);
      holders[static_cast<size_t>(best)] = 1;
      return best;
    }
    void hold(int64_t s) { if (s >= 0) ++holders[static_cast<size_t>(s)]; }
    void drop(int64_t s) { if (s >= 0) --holders[static_cast<size_t>(s)]; }
    bool exclusive(int64_t s) const { return share && s >= 0 && holders[static_cast<size_t>(s)] == 1; }
  };

  // Training memory: one step is a timeline, the forward in node order, then the backward in
  // reverse. A node's output lives in a slot from its forward until its last reader, which is
  // the last consumer's forward unless some backward reads it (then the earliest such node's
  // backward); a node's gradient from its first writer's backward (the consumer with the highest
  // index) to its own. Batch norm, mish and ReLU write their input's gradient over their own
  // when they hold it alone; add hands its gradient on to an input that only it reads. The last
  // node's output (the logits) keeps its own buffer: the caller reads it after the forward.
  void plan_training() {
    const auto users = consumers();
    const size_t count = nodes_.size(), last = count - 1;
    const std::vector<Reach> reach = reaches(spec_);
    std::vector<double> volume(count);
    std::vector<size_t> forward_end(count, 0);  // the last consumer's forward
    std::vector<size_t> backward_end(count, count);  // the earliest backward that reads the output
    for (size_t i = 0; i < count; ++i) {
      const double scale = static_cast<double>(reach[i].scale);
      volume[i] = static_cast<double>(nodes_[i].c) / (scale * scale);
      forward_end[i] = i;
      for (size_t u : users[i]) {
        forward_end[i] = std::max(forward_end[i], u);
        if (backward_reads_input(nodes_[u].spec->op)) backward_end[i] = std::min(backward_end[i], u);
      }
      if (backward_reads_output(nodes_[i].spec->op)) backward_end[i] = std::min(backward_end[i], i);
    }
    SlotPlanner plan;
    plan.share = share_training_buffers_;
    auto release_outputs = [&](size_t i, bool forward) {  // outputs whose last reader is node i
      for (size_t j = 1; j < last; ++j) {
        const bool done = forward ? backward_end[j] == count && forward_end[j] == i : backward_end[j] == i;
        if (done && nodes_[j].train_slot >= 0) plan.drop(nodes_[j].train_slot);
      }
    };
    for (size_t i = 1; i < count; ++i) {
      nodes_[i].train_slot = i == last ? -1 : plan.take(volume[i]);
      release_outputs(i, true);
    }
    std::vector<bool> wanted(count, false), written(count, false);  // a gradient reaches it / is written
    wanted[last] = written[last] = true;
    nodes_[last].grad_slot = kCallerGradient;
    for (size_t i = last; i >= 1; --i) {
      Node& n = nodes_[i];
      n.scratch_slot.assign(n.in.size(), -1);
      if (wanted[i]) {
        for (size_t k = 0; k < n.in.size(); ++k) {
          const size_t j = n.in[k];
          if (j == 0) continue;  // the network's input: no gradient wanted
          wanted[j] = true;
          Node& src = nodes_[j];
          if (written[j]) {
            if (n.spec->op != GraphOp::add) n.scratch_slot[k] = plan.take(volume[j]);  // add sums dy itself in
          } else if (n.spec->op == GraphOp::add ? readers_[j] == 1
                                                : backward_in_place(n.spec->op) && plan.exclusive(n.grad_slot)) {
            src.grad_slot = n.grad_slot;
            plan.hold(n.grad_slot);
          } else {
            src.grad_slot = plan.take(volume[j]);
          }
          written[j] = true;
        }
        for (int64_t s : n.scratch_slot) plan.drop(s);
        plan.drop(n.grad_slot);
      }
      release_outputs(i, false);
    }
    train_slots_.resize(plan.size.size());
  }

  // Node i's output view [n, c, h, w]: its training slot (the last node: its own buffer) in
  // training, its slot (or its alias's) at inference.
  Act output_of(size_t i, int64_t n, int64_t h, int64_t w) {
    Node& node = nodes_[i];
    if (train_) {
      if (node.train_slot < 0) return node.out.shape(backend(), n, node.c, h, w);
      return train_slots_[static_cast<size_t>(node.train_slot)].shape(backend(), n, node.c, h, w);
    }
    const Node& root = nodes_[node.alias];
    if (node.alias != i) return Act{root.y.data, n, node.c, h, w};
    return slots_[static_cast<size_t>(root.slot)].shape(backend(), n, node.c, h, w);
  }

  void run(size_t i, const float* x, int64_t batch, int64_t h, int64_t w) {
    Node& n = nodes_[i];
    const GraphNode& s = *n.spec;
    Backend& be = backend();
    if (s.op == GraphOp::input) {
      n.y = Act{const_cast<float*>(x), batch, n.c, h, w};
      return;
    }
    const Act& a = nodes_[n.in[0]].y;
    int64_t oh = a.h, ow = a.w;
    if (s.op == GraphOp::resize) {
      const Act& ref = nodes_[n.size_of].y;
      oh = ref.h / s.divisor;
      ow = ref.w / s.divisor;
      check(oh > 0 && ow > 0, "graph model: resize '" + s.name + "' to an empty image");
    }
    for (size_t j : n.in) {
      const Act& b = nodes_[j].y;
      check(b.h == a.h && b.w == a.w, "graph model: inputs of '" + s.name + "' differ in size");
    }
    // Folded batch norm: the convolution already wrote this node's output.
    if (!train_ && s.op == GraphOp::batch_norm && n.alias != i && nodes_[n.in[0]].folded_bn == static_cast<int64_t>(i)) {
      n.y = Act{a.data, a.n, a.c, a.h, a.w};
      return;
    }
    // Fused activation: the convolution that wrote its input (through a folded batch norm or
    // directly) applied it in place.
    if (!train_ && (s.op == GraphOp::mish || s.op == GraphOp::relu) && n.alias != i && fused_into_conv(i)) {
      n.y = Act{a.data, a.n, a.c, a.h, a.w};
      return;
    }
    n.y = output_of(i, batch, oh, ow);
    switch (s.op) {
      case GraphOp::conv2d:
      case GraphOp::depthwise_conv2d: {
        const float* wt = n.w->data();
        const float* bias = n.b ? n.b->data() : nullptr;
        if (!train_ && n.folded_bn >= 0) {
          Node& bn = nodes_[static_cast<size_t>(n.folded_bn)];
          const int64_t per = n.w->numel() / n.c;
          float* fw = n.fold_w.shape(be, 1, 1, 1, n.w->numel()).data;
          float* fb = n.fold_b.shape(be, 1, 1, 1, n.c).data;
          be.batch_norm_fold(BatchNormShape{1, n.c, 1, static_cast<float>(bn.spec->eps)}, wt, per, bias,
                             bn.gamma->data(), bn.beta->data(), bn.mean->data(), bn.var->data(), fw, fb);
          wt = fw;
          bias = fb;
        }
        Activation act = Activation::none;
        if (!train_ && n.fused_act >= 0)
          act = nodes_[static_cast<size_t>(n.fused_act)].spec->op == GraphOp::mish ? Activation::mish : Activation::relu;
        if (s.op == GraphOp::conv2d)
          be.conv2d_forward(Conv2dShape{a.n, a.c, a.h, a.w, n.c, s.kernel, 1, act}, a.data, wt, bias, n.y.data);
        else
          be.depthwise_conv2d_forward(DepthwiseConv2dShape{a.n, a.c, a.h, a.w, s.kernel, act}, a.data, wt, bias,
                                      n.y.data);
        break;
      }
      case GraphOp::batch_norm: {
        const BatchNormShape bs = bn_shape(n, a);
        if (train_) {
          float* mean = n.save_mean.shape(be, 1, n.c, 1, 1).data;
          float* invstd = n.save_invstd.shape(be, 1, n.c, 1, 1).data;
          be.batch_norm_forward_train(bs, a.data, n.gamma->data(), n.beta->data(), n.mean->data(), n.var->data(),
                                      n.y.data, mean, invstd);
        } else {
          be.batch_norm_forward_eval(bs, a.data, n.gamma->data(), n.beta->data(), n.mean->data(), n.var->data(),
                                     n.y.data);
        }
        break;
      }
      case GraphOp::mish: be.mish_forward(a.data, n.y.data, a.numel()); break;
      case GraphOp::relu: be.relu_forward(a.data, n.y.data, a.numel()); break;
      case GraphOp::add: be.add(a.data, nodes_[n.in[1]].y.data, n.y.data, a.numel()); break;
      case GraphOp::concat: {
        std::vector<const float*>& xs = concat_inputs_;
        xs.clear();
        for (size_t j : n.in) xs.push_back(nodes_[j].y.data);
        be.concat_channels_forward(concat_shape(n, a), xs.data(), n.y.data);
        break;
      }
      case GraphOp::resize:
        be.resize_bilinear_forward(ResizeShape{a.n * a.c, a.h, a.w, oh, ow, s.antialias}, a.data, n.y.data);
        break;
      case GraphOp::l2_normalize:
        be.l2_normalize_forward(L2NormalizeShape{a.n, a.c, a.hw(), static_cast<float>(s.eps)}, a.data, n.y.data);
        break;
      case GraphOp::input: break;
    }
  }

  // Does the convolution that writes activation node i's input apply it (plan_inference)?
  bool fused_into_conv(size_t i) const {
    size_t src = nodes_[i].in[0];
    if (nodes_[src].spec->op == GraphOp::batch_norm) src = nodes_[src].in[0];
    return nodes_[src].fused_act == static_cast<int64_t>(i);
  }

  BatchNormShape bn_shape(const Node& n, const Act& a) const {
    return BatchNormShape{a.n, a.c, a.hw(), static_cast<float>(n.spec->eps), static_cast<float>(n.spec->momentum)};
  }

  ConcatShape concat_shape(const Node& n, const Act& a) const {
    ConcatShape cs{a.n, a.hw(), {}};
    for (size_t j : n.in) cs.channels.push_back(nodes_[j].c);
    return cs;
  }

  // A view of training slot s shaped as node j's output.
  Act slot_view(int64_t s, size_t j) {
    const Act& y = nodes_[j].y;
    return train_slots_[static_cast<size_t>(s)].shape(backend(), y.n, y.c, y.h, y.w);
  }

  // Where node i's backward writes the gradient of its k-th input (plan_training): straight into
  // that input's gradient (which may be this node's own, in place) when this node writes it
  // first, else into a scratch slot that accumulate() adds.
  float* grad_target(Node& n, size_t k) {
    if (n.in[k] == 0) return nullptr;  // the network's input: no gradient wanted
    Node& src = nodes_[n.in[k]];
    if (n.scratch_slot[k] >= 0) return slot_view(n.scratch_slot[k], n.in[k]).data;
    src.dy = slot_view(src.grad_slot, n.in[k]);
    return src.dy.data;
  }
  void accumulate(Node& n, size_t k) {
    if (n.in[k] == 0) return;
    Node& src = nodes_[n.in[k]];
    if (n.scratch_slot[k] >= 0)
      backend().add_inplace(src.dy.data, slot_view(n.scratch_slot[k], n.in[k]).data, src.y.numel());
    else
      src.grad_written = true;
  }

  void zero_grads(Node& n) {
    for (Param* p : {n.w, n.b, n.gamma, n.beta})
      if (p) backend().fill(p->grad_data(), 0.0f, p->numel());
  }

  void back(size_t i) {
    Node& n = nodes_[i];
    const GraphNode& s = *n.spec;
    Backend& be = backend();
    if (!n.grad_written) {  // nothing downstream uses this node: its parameters get no gradient
      zero_grads(n);
      return;
    }
    const Act& a = nodes_[n.in[0]].y;
    const float* dy = n.dy.data;
    switch (s.op) {
      case GraphOp::conv2d:
      case GraphOp::depthwise_conv2d: {
        float* dx = grad_target(n, 0);
        if (s.op == GraphOp::conv2d)
          be.conv2d_backward(Conv2dShape{a.n, a.c, a.h, a.w, n.c, s.kernel, 1}, a.data, n.w->data(), dy, dx,
                             n.w->grad_data(), n.b ? n.b->grad_data() : nullptr);
        else
          be.depthwise_conv2d_backward(DepthwiseConv2dShape{a.n, a.c, a.h, a.w, s.kernel}, a.data, n.w->data(), dy, dx,
                                       n.w->grad_data(), n.b ? n.b->grad_data() : nullptr);
        accumulate(n, 0);
        break;
      }
      case GraphOp::batch_norm: {
        float* dx = grad_target(n, 0);
        float* mean = n.save_mean.shape(be, 1, n.c, 1, 1).data;
        float* invstd = n.save_invstd.shape(be, 1, n.c, 1, 1).data;
        be.batch_norm_backward(bn_shape(n, a), a.data, n.y.data, n.gamma->data(), mean, invstd, dy, dx,
                               n.gamma->grad_data(), n.beta->grad_data());
        accumulate(n, 0);
        break;
      }
      case GraphOp::mish:
      case GraphOp::relu:
      case GraphOp::resize:
      case GraphOp::l2_normalize: {
        float* dx = grad_target(n, 0);
        if (!dx) break;
        if (s.op == GraphOp::mish) be.mish_backward(a.data, dy, dx, a.numel());
        else if (s.op == GraphOp::relu) be.relu_backward(n.y.data, dy, dx, a.numel());
        else if (s.op == GraphOp::resize)
          be.resize_bilinear_backward(ResizeShape{a.n * a.c, a.h, a.w, n.y.h, n.y.w, s.antialias}, dy, dx);
        else
          be.l2_normalize_backward(L2NormalizeShape{a.n, a.c, a.hw(), static_cast<float>(s.eps)}, a.data, dy, dx);
        accumulate(n, 0);
        break;
      }
      case GraphOp::add:
        for (size_t k = 0; k < 2; ++k) pass_gradient(n, k);
        break;
      case GraphOp::concat: {
        std::vector<float*> dxs;
        for (size_t k = 0; k < n.in.size(); ++k) dxs.push_back(grad_target(n, k));
        be.concat_channels_backward(concat_shape(n, a), dy, dxs.data());
        for (size_t k = 0; k < n.in.size(); ++k) accumulate(n, k);
        break;
      }
      case GraphOp::input: break;
    }
  }

  // add's gradient is dy itself for both inputs: summed into an input's gradient when one is
  // there, handed on as the same buffer to an input that only this node reads (nothing will sum
  // into it later), copied otherwise.
  void pass_gradient(Node& n, size_t k) {
    if (n.in[k] == 0) return;
    Node& src = nodes_[n.in[k]];
    const int64_t count = n.dy.numel();
    if (src.grad_written) {
      backend().add_inplace(src.dy.data, n.dy.data, count);
    } else if (src.grad_slot == n.grad_slot) {  // readers_ == 1 (plan_training)
      src.dy = Act{n.dy.data, src.y.n, src.y.c, src.y.h, src.y.w};
      src.grad_written = true;
    } else {
      src.dy = slot_view(src.grad_slot, n.in[k]);
      backend().fill(src.dy.data, 0.0f, count);
      backend().add_inplace(src.dy.data, n.dy.data, count);
      src.grad_written = true;
    }
  }

  GraphSpec spec_;
  std::vector<Node> nodes_;
  std::vector<ActBuffer> slots_;
  std::vector<ActBuffer> train_slots_;  // training outputs and gradients (plan_training)
  static constexpr int64_t kCallerGradient = -2;
  std::vector<const float*> concat_inputs_;
  std::vector<size_t> readers_;  // per node: how many inputs of other nodes it is
  bool share_training_buffers_ = true;
  bool train_ = false;
};

}  // namespace

std::unique_ptr<Model> make_graph_model(Backend& be, const ModelConfig& config, uint64_t seed,
                                        bool share_training_buffers) {
  std::mt19937_64 rng(seed);
  return std::make_unique<GraphModel>(be, config, rng, share_training_buffers);
}

}  // namespace strata::nn
