// Graph models (nn/graph_spec.h, nn/models/graph_model.h): the text format and its errors, a small
// graph that uses every op (inference with its folding, in-place activations and reused buffers
// against a node-by-node evaluation with the op references; whole-model gradients against finite
// differences; training; threads; no allocation in a step; the state round trip) and Dynamic
// World's network (parameter count, receptive field).
#include <gtest/gtest.h>

#include <malloc.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "model_batch.h"
#include "model_gradient_check.h"
#include "receptive_reach.h"
#include "nn/backend.h"
#include "nn/graph_spec.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "nn/models/graph_model.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/depthwise_conv2d.h"
#include "nn/ops/elementwise.h"
#include "nn/ops/l2_normalize.h"
#include "nn/ops/mish.h"
#include "nn/ops/relu.h"
#include "nn/ops/resize.h"
#include "nn/trainer.h"

namespace strata::nn {
namespace {

using test::Batch;
using test::make_batch;
using test::random_floats;
using F = std::vector<float>;

// Every op, a node read by three others (down), one read by two (m2 and m1), an add, a three-way
// concat, a resize down with antialiasing and one back up without, and a full-resolution skip past
// the resizes (without it, per-pixel labels could not be learned through the half-size branch).
constexpr const char* kTinyGraph = R"(strata-graph/1
# a comment line
input x channels=3
conv2d c1 in=x channels=6 kernel=3 bias=1
batch_norm b1 in=c1 eps=0.001 momentum=0.01
mish m1 in=b1
resize down in=m1 size_of=m1 divisor=2 antialias=1
conv2d c2 in=down channels=5 kernel=1 bias=1
batch_norm b2 in=c2 eps=0.001 momentum=0.01
mish m2 in=b2
depthwise_conv2d d1 in=m2 kernel=3 bias=1
batch_norm b3 in=d1 eps=0.001 momentum=0.1
relu r3 in=b3
conv2d c3 in=down channels=5 kernel=1 bias=0
add a1 in=r3,c3
concat cat in=a1,m2,down
resize up in=cat size_of=m1 divisor=1 antialias=0
concat full in=up,m1
l2_normalize l2 in=full eps=1e-12
conv2d head in=l2 channels=4 kernel=1 bias=1
)";

ModelConfig tiny_config() { return {"graph", 3, 4, {}, kTinyGraph}; }

TEST(GraphSpec, TextRoundTrips) {
  const GraphSpec g = GraphSpec::parse(kTinyGraph);
  ASSERT_EQ(g.nodes.size(), 18u);
  EXPECT_EQ(g.in_channels(), 3);
  EXPECT_EQ(g.out_channels(), 4);
  EXPECT_EQ(g.channels()[static_cast<size_t>(g.index_of("cat"))], 5 + 5 + 6);
  const GraphSpec again = GraphSpec::parse(g.to_text());
  EXPECT_EQ(again.to_text(), g.to_text());
  const GraphNode& r = again.nodes[static_cast<size_t>(again.index_of("down"))];
  EXPECT_EQ(r.op, GraphOp::resize);
  EXPECT_EQ(r.size_of, "m1");
  EXPECT_EQ(r.divisor, 2);
  EXPECT_TRUE(r.antialias);
  EXPECT_DOUBLE_EQ(again.nodes[2].eps, 0.001);
  EXPECT_DOUBLE_EQ(again.nodes[2].momentum, 0.01);
}

std::string graph_error(const std::string& text) {
  try {
    GraphSpec::parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GraphSpec, MalformedTextIsAnErrorNamingTheLineOrNode) {
  const std::string head = "strata-graph/1\ninput x channels=3\n";
  EXPECT_NE(graph_error("").find("empty"), std::string::npos);
  EXPECT_NE(graph_error("strata-graph/9\n").find("graph line 1"), std::string::npos);
  EXPECT_NE(graph_error(head + "softmax s in=x\n").find("graph line 3: unknown op 'softmax'"), std::string::npos);
  EXPECT_NE(graph_error(head + "conv2d c in=y channels=4 kernel=3\n").find("input 'y' is not defined"),
            std::string::npos);
  EXPECT_NE(graph_error(head + "conv2d c in=x channels=4 kernel=2\n").find("odd"), std::string::npos);
  EXPECT_NE(graph_error(head + "conv2d c in=x channels=four kernel=3\n").find("not an integer"), std::string::npos);
  EXPECT_NE(graph_error(head + "conv2d c in=x channels=4 kernel=3 stride=2\n").find("unknown attribute 'stride'"),
            std::string::npos);
  EXPECT_NE(graph_error(head + "add a in=x\n").find("takes 2 input(s)"), std::string::npos);
  EXPECT_NE(graph_error(head + "conv2d c in=x channels=4 kernel=1\nadd a in=x,c\n").find("same channels"),
            std::string::npos);
  EXPECT_NE(graph_error(head + "mish x in=x\n").find("used twice"), std::string::npos);
  EXPECT_NE(graph_error(head + "resize r in=x size_of=q divisor=2\n").find("size_of 'q'"), std::string::npos);
  EXPECT_NE(graph_error("strata-graph/1\nmish m in=x\n").find("first node must be the input"), std::string::npos);
}

// The tiny graph evaluated node by node with the op references, batch norms in evaluation mode
// and nothing folded or shared: what the planned inference must equal.
F evaluate_by_reference(const Model& model, const F& x, int64_t n, int64_t h, int64_t w) {
  const GraphSpec g = GraphSpec::parse(model.config().graph);
  auto p = [&](const std::string& name) { return model.params().find(name)->get(); };
  struct Value {
    F v;
    int64_t c, h, w;
  };
  std::map<std::string, Value> values;
  for (const GraphNode& node : g.nodes) {
    if (node.op == GraphOp::input) {
      values[node.name] = {x, node.channels, h, w};
      continue;
    }
    const Value& a = values.at(node.inputs[0]);
    Value out = a;
    switch (node.op) {
      case GraphOp::conv2d: {
        const Conv2dShape s{n, a.c, a.h, a.w, node.channels, node.kernel, 1};
        out.c = node.channels;
        out.v.assign(static_cast<size_t>(s.output_size()), 0.0f);
        const F wt = p(node.name + ".weight"), b = node.bias ? p(node.name + ".bias") : F{};
        conv2d_forward_reference(s, a.v.data(), wt.data(), node.bias ? b.data() : nullptr, out.v.data());
        break;
      }
      case GraphOp::depthwise_conv2d: {
        const F wt = p(node.name + ".weight"), b = node.bias ? p(node.name + ".bias") : F{};
        depthwise_conv2d_forward_reference(DepthwiseConv2dShape{n, a.c, a.h, a.w, node.kernel}, a.v.data(), wt.data(),
                                           node.bias ? b.data() : nullptr, out.v.data());
        break;
      }
      case GraphOp::batch_norm:
        batch_norm_forward_eval_reference(
            BatchNormShape{n, a.c, a.h * a.w, static_cast<float>(node.eps)}, a.v.data(), p(node.name + ".weight").data(),
            p(node.name + ".bias").data(), p(node.name + ".running_mean").data(), p(node.name + ".running_var").data(),
            out.v.data());
        break;
      case GraphOp::mish: mish_forward_reference(a.v.data(), out.v.data(), static_cast<int64_t>(a.v.size())); break;
      case GraphOp::relu: relu_forward_reference(a.v.data(), out.v.data(), static_cast<int64_t>(a.v.size())); break;
      case GraphOp::add:
        add_reference(a.v.data(), values.at(node.inputs[1]).v.data(), out.v.data(), static_cast<int64_t>(a.v.size()));
        break;
      case GraphOp::concat: {
        ConcatShape s{n, a.h * a.w, {}};
        std::vector<const float*> xs;
        for (const std::string& in : node.inputs) {
          s.channels.push_back(values.at(in).c);
          xs.push_back(values.at(in).v.data());
        }
        out.c = s.total();
        out.v.assign(static_cast<size_t>(s.output_size()), 0.0f);
        concat_channels_forward_reference(s, xs.data(), out.v.data());
        break;
      }
      case GraphOp::resize: {
        const Value& ref = values.at(node.size_of);
        out.h = ref.h / node.divisor;
        out.w = ref.w / node.divisor;
        const ResizeShape s{n * a.c, a.h, a.w, out.h, out.w, node.antialias};
        out.v.assign(static_cast<size_t>(s.output_size()), 0.0f);
        resize_bilinear_forward_reference(s, a.v.data(), out.v.data());
        break;
      }
      case GraphOp::l2_normalize:
        l2_normalize_forward_reference(L2NormalizeShape{n, a.c, a.h * a.w, static_cast<float>(node.eps)}, a.v.data(),
                                       out.v.data());
        break;
      case GraphOp::input: break;
    }
    values[node.name] = std::move(out);
  }
  return values.at(g.nodes.back().name).v;
}

TEST(GraphModel, PlannedInferenceMatchesTheNodeByNodeReference) {
  auto be = make_cpu_backend();
  const ModelConfig c = tiny_config();
  auto model = make_model(*be, c, 5);
  Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-2f, 0.0f, 0, 5}, {});
  const Batch b = make_batch(c, 2, 10, 14, 2);
  for (int i = 0; i < 3; ++i) trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);  // non-trivial statistics
  const F want = evaluate_by_reference(*model, b.x, b.n, b.h, b.w);
  const Act got = model->forward(b.x.data(), b.n, b.h, b.w, false);
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got.data[i], want[i], 1e-4) << i;
  // After a training forward (which moves the running statistics, and leaves the buffers of a
  // training step behind), inference again equals the reference.
  model->forward(b.x.data(), b.n, b.h, b.w, true);
  const F moved = evaluate_by_reference(*model, b.x, b.n, b.h, b.w);
  const Act again = model->forward(b.x.data(), b.n, b.h, b.w, false);
  for (size_t i = 0; i < moved.size(); ++i) ASSERT_NEAR(again.data[i], moved[i], 1e-4) << i;
}

// Activations the planned inference puts into the convolution before them (Conv2dShape::act)
// without a batch norm between: a 3x3 conv -> mish, a depthwise -> relu, the head -> relu (the
// output); c2 has a second reader, so m2 runs on its own, out of place. Inference, the training
// forward (which fuses nothing) and the node-by-node reference agree.
TEST(GraphModel, ActivationsFusedIntoConvolutionsMatchTheReference) {
  const ModelConfig c{"graph", 3, 4, {}, R"(strata-graph/1
input x channels=3
conv2d c1 in=x channels=5 kernel=3 bias=1
mish m1 in=c1
depthwise_conv2d d1 in=m1 kernel=3 bias=0
relu r1 in=d1
conv2d c2 in=r1 channels=5 kernel=1 bias=1
mish m2 in=c2
add a in=m2,c2
conv2d head in=a channels=4 kernel=1 bias=1
relu out in=head
)"};
  auto be = make_cpu_backend();
  auto model = make_model(*be, c, 3);
  const Batch b = make_batch(c, 2, 9, 13, 4);
  const F want = evaluate_by_reference(*model, b.x, b.n, b.h, b.w);
  const Act got = model->forward(b.x.data(), b.n, b.h, b.w, false);
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got.data[i], want[i], 1e-5) << i;
  const Act trained = model->forward(b.x.data(), b.n, b.h, b.w, true);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(trained.data[i], want[i], 1e-5) << i;
}

TEST(GraphModel, GradientsMatchFiniteDifferences) { test::expect_gradients_match_finite_differences(tiny_config(), 11, 40); }

// What the training plan shares: an add reading one node twice (a copy, then a sum); an add
// handing its gradient to two inputs, whose mish backwards then write one out of place (the
// buffer is still shared) and one in place; batch norm and ReLU in place; a node read by three
// (one gradient written, two summed in); a concat of one node twice; a branch that reaches no
// output (no gradient); and a mish as the output, which must not write over the caller's dlogits.
constexpr const char* kSharingGraph = R"(strata-graph/1
input x channels=2
conv2d c1 in=x channels=4 kernel=3 bias=1
relu r1 in=c1
relu r2 in=r1
add a1 in=r2,r2
mish m1 in=a1
add a2 in=m1,r1
batch_norm b1 in=a2 eps=0.001 momentum=0.1
conv2d c2 in=r1 channels=4 kernel=1 bias=1
batch_norm b2 in=c2 eps=0.001 momentum=0.1
conv2d dead in=b2 channels=2 kernel=1 bias=1
mish m2 in=b1
mish m3 in=b2
add a3 in=m2,m3
concat cat in=a3,a3
conv2d c3 in=cat channels=4 kernel=1 bias=0
mish out in=c3
)";

TEST(GraphModel, GradientsMatchFiniteDifferencesWhereTrainingSharesBuffers) {
  test::expect_gradients_match_finite_differences(ModelConfig{"graph", 2, 4, {}, kSharingGraph}, 2, 20);
}

// Heap bytes in use (glibc): what the CPU backend's buffers hold.
size_t heap_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// The training plan (outputs kept only until their last reader, gradients from their first
// writer to their own backward, in shared slots, some backward in place) against the same model
// with every tensor in its own buffer: bit-identical steps, the caller's dlogits untouched, and
// well under the memory (the unshared one holds every output and every gradient).
TEST(GraphModel, SharedTrainingBuffersChangeNoResultAndHoldLessMemory) {
  for (const ModelConfig& c : {tiny_config(), ModelConfig{"graph", 2, 4, {}, kSharingGraph}}) {
    const Batch b = make_batch(c, 3, 32, 24, 6);
    F losses[2], weights[2];
    size_t held[2];
    for (int shared = 0; shared < 2; ++shared) {
      auto be = make_cpu_backend();
      auto model = make_graph_model(*be, c, 4, shared == 1);
      const F dlogits = random_floats(b.n * c.classes * b.h * b.w, 9, -1e-3f, 1e-3f);
      const size_t before = heap_bytes();
      model->forward(b.x.data(), b.n, b.h, b.w, true);
      model->backward(dlogits.data());
      held[shared] = heap_bytes() - before;
      EXPECT_EQ(dlogits, random_floats(b.n * c.classes * b.h * b.w, 9, -1e-3f, 1e-3f));
      Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-2f, 1e-3f, 1, 6}, {});
      for (int i = 0; i < 4; ++i) losses[shared].push_back(trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w));
      for (Param* p : model->params().all()) {
        const F v = p->get();
        weights[shared].insert(weights[shared].end(), v.begin(), v.end());
        if (p->trainable) weights[shared].insert(weights[shared].end(), p->grad_data(), p->grad_data() + p->numel());
      }
    }
    EXPECT_EQ(losses[1], losses[0]);
    EXPECT_EQ(weights[1], weights[0]);
    EXPECT_LT(static_cast<double>(held[1]), 0.6 * static_cast<double>(held[0]))
        << held[1] << " bytes shared, " << held[0] << " unshared";
  }
}

TEST(GraphModel, TrainingLowersTheLossAndAllocatesNothingOnceSized) {
  auto be = make_cpu_backend();
  const ModelConfig c = tiny_config();
  auto model = make_model(*be, c, 3);
  Trainer trainer(*model, AdamConfig{0.9f, 0.999f, 1e-8f, 1e-4f, true}, LrSchedule{5e-2f, 1e-3f, 5, 60}, {});
  Predictor predict(*model);
  const Batch b = make_batch(c, 4, 16, 16, 9);
  const float first = trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
  predict.probabilities(b.x.data(), b.n, b.h, b.w);
  const int64_t before = be->allocation_count();
  float last = first;
  for (int i = 0; i < 59; ++i) last = trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
  predict.probabilities(b.x.data(), b.n, b.h, b.w);
  EXPECT_LT(last, 0.5f * first) << first << " -> " << last;
  EXPECT_EQ(be->allocation_count(), before);
}

TEST(GraphModel, ThreadsGiveTheSameSteps) {
  const ModelConfig c = tiny_config();
  const Batch b = make_batch(c, 3, 12, 12, 4);
  F losses[2], weights[2];
  for (int t = 0; t < 2; ++t) {
    auto be = make_cpu_backend(t == 0 ? 1 : 3);
    auto model = make_model(*be, c, 8);
    Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-2f, 1e-3f, 1, 5}, {});
    for (int i = 0; i < 4; ++i) losses[t].push_back(trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w));
    weights[t] = model->params().find("d1.weight")->get();
  }
  for (size_t i = 0; i < losses[0].size(); ++i) EXPECT_NEAR(losses[1][i], losses[0][i], 1e-5) << "step " << i;
  for (size_t i = 0; i < weights[0].size(); ++i) ASSERT_NEAR(weights[1][i], weights[0][i], 1e-5) << i;
}

TEST(GraphModel, StateRoundTripGivesIdenticalOutputs) {
  auto be = make_cpu_backend();
  const ModelConfig c = tiny_config();
  auto model = make_model(*be, c, 6);
  ModelInfo info;
  info.normalization = {NormalizationMode::standard, F(3, 0.0f), F(3, 1.0f)};
  info.band_names = {"B2", "B3", "B4"};
  info.class_names = {"a", "b", "c", "d"};
  const ModelState state = capture_state(*model, nullptr, info, nullptr);
  EXPECT_EQ(state.meta("arch"), "graph");
  EXPECT_EQ(state.meta("graph"), c.graph);
  EXPECT_EQ(config_from_state(state).describe(), c.describe());
  auto again = model_from_state(*be, state);
  const Batch b = make_batch(c, 1, 8, 8, 3);
  const Act y1 = model->forward(b.x.data(), 1, 8, 8, false);
  const F first(y1.data, y1.data + y1.numel());
  const Act y2 = again->forward(b.x.data(), 1, 8, 8, false);
  for (size_t i = 0; i < first.size(); ++i) ASSERT_EQ(y2.data[i], first[i]) << i;
  // Another graph's state does not load.
  ModelConfig other = c;
  other.graph.replace(other.graph.find("channels=6"), 10, "channels=7");
  auto different = make_model(*be, other, 6);
  EXPECT_THROW(load_weights(*different, state), Error);
}

TEST(GraphModel, OddSizesRunAndAnImageTooSmallToHalveIsAnError) {
  auto be = make_cpu_backend();
  auto model = make_model(*be, tiny_config(), 1);
  const F x = random_floats(3 * 9 * 11, 1);
  const Act y = model->forward(x.data(), 1, 9, 11, false);  // halved to 4 x 5, back to 9 x 11
  EXPECT_EQ(y.h, 9);
  EXPECT_EQ(y.w, 11);
  const F want = evaluate_by_reference(*model, x, 1, 9, 11);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(y.data[i], want[i], 1e-4) << i;
  EXPECT_THROW(model->forward(x.data(), 1, 1, 11, false), Error);
}

TEST(DynamicWorld, ArchitectureHasThePublishedParameterCount) {
  auto be = make_cpu_backend();
  const ModelConfig c = dynamic_world_config();
  EXPECT_EQ(c.in_bands, 9);
  EXPECT_EQ(c.classes, 9);
  auto model = make_model(*be, c, 1);
  int64_t all = 0;
  for (const Param* p : model->params().all()) all += p->numel();
  EXPECT_EQ(all, 231209) << "weights, biases and every batch norm's four vectors, as Keras counts them";
  EXPECT_EQ(spatial_multiple(c), 2);
  EXPECT_EQ(dynamic_world_bands().size(), 9u);
  EXPECT_EQ(dynamic_world_normalization().bands(), 9);
}

// An input pixel changes outputs within receptive_radius of it and nowhere else, and the radius is
// not loose (predict's halo relies on both).
TEST(DynamicWorld, ReceptiveRadiusBoundsWhereAnInputPixelActs) {
  auto be = make_cpu_backend(2);
  const ModelConfig c = dynamic_world_config();
  auto model = make_model(*be, c, 3);
  const int64_t size = 80, r = receptive_radius(c), at = 39;
  const int64_t reach =
      test::input_pixel_reach(*model, random_floats(c.in_bands * size * size, 1, 0.0f, 1.0f), size, at, 0.5f);
  EXPECT_LE(reach, r);
  EXPECT_GE(reach, r - spatial_multiple(c)) << "the radius " << r << " is loose";
}

}  // namespace
}  // namespace strata::nn
