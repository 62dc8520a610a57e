// The two networks end to end on the CPU backend: sizes, gradients of the whole model by
// finite differences, training that learns, the learning-rate schedule, and the model state
// (round trip, resume, and the clear errors for the wrong or damaged state and bad input).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "nn/lr_schedule.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "nn/normalize.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/conv2d.h"
#include "nn/trainer.h"
#include "model_batch.h"
#include "model_gradient_check.h"
#include "receptive_reach.h"
#include "op_test_util.h"

namespace strata::nn {
namespace {

using test::Batch;
using test::make_batch;
using test::random_floats;

TEST(Models, ParameterCountsMatchTheIssue) {
  auto be = make_cpu_backend();
  EXPECT_EQ(make_model(*be, sample_fcn_config(), 1)->params().trainable_count(), 23401);
  // 470,953 with biases on the convolutions; they precede batch norm and are left out.
  EXPECT_EQ(make_model(*be, unet_small_config(), 1)->params().trainable_count(), 470313);
}

TEST(Models, UnknownArchitectureAndBadWidthsAreErrors) {
  auto be = make_cpu_backend();
  EXPECT_THROW(make_model(*be, {"resnet", 13, 9, {32}}, 1), Error);
  EXPECT_THROW(make_model(*be, {"sample-fcn", 13, 9, {32}}, 1), Error);
  EXPECT_THROW(make_model(*be, {"unet-small", 13, 9, {32, 0}}, 1), Error);
}

TEST(Models, PredictorGivesProbabilities) {
  auto be = make_cpu_backend();
  for (const ModelConfig& c : {ModelConfig{"sample-fcn", 5, 4, {6, 3}}, ModelConfig{"unet-small", 5, 4, {4, 8, 8}}}) {
    auto model = make_model(*be, c, 7);
    const Batch b = make_batch(c, 2, 8, 12, 3);
    Predictor predict(*model);
    const Act p = predict.probabilities(b.x.data(), b.n, b.h, b.w);
    ASSERT_EQ(p.n, 2);
    ASSERT_EQ(p.c, 4);
    ASSERT_EQ(p.h, 8);
    ASSERT_EQ(p.w, 12);
    for (int64_t i = 0; i < p.n * p.hw(); ++i) {
      const int64_t n = i / p.hw(), q = i % p.hw();
      double sum = 0.0;
      for (int64_t k = 0; k < p.c; ++k) sum += p.data[(n * p.c + k) * p.hw() + q];
      ASSERT_NEAR(sum, 1.0, 1e-5) << c.arch;
    }
  }
}

// The full model's gradient against central differences of the loss (model_gradient_check.h).
class ModelGradient : public ::testing::TestWithParam<ModelConfig> {};

TEST_P(ModelGradient, MatchesFiniteDifferences) {
  test::expect_gradients_match_finite_differences(GetParam(), 11, 10, 4, 4, 5);
}

INSTANTIATE_TEST_SUITE_P(Small, ModelGradient,
                         ::testing::Values(ModelConfig{"sample-fcn", 3, 4, {4, 3}},
                                           ModelConfig{"unet-small", 3, 4, {3, 4}}, ModelConfig{"unet-small", 3, 4, {3}}),
                         [](const auto& info) { std::string name = info.param.arch == "sample-fcn" ? "sample_fcn" : "unet_small_depth";
                           if (info.param.arch != "sample-fcn") name += std::to_string(info.param.widths.size());
                           return name; });

TEST(Training, AdamLowersTheLossOnAFixedBatch) {
  auto be = make_cpu_backend();
  for (const ModelConfig& c : {ModelConfig{"sample-fcn", 4, 4, {8, 8}}, ModelConfig{"unet-small", 4, 4, {8, 16}}}) {
    auto model = make_model(*be, c, 3);
    Trainer trainer(*model, AdamConfig{0.9f, 0.999f, 1e-8f, 1e-4f, true}, LrSchedule{1e-2f, 1e-3f, 5, 60}, {});
    const Batch b = make_batch(c, 4, 16, 16, 9);
    const float first = trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
    float last = first;
    for (int i = 0; i < 59; ++i) last = trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
    EXPECT_LT(last, 0.5f * first) << c.arch << ": " << first << " -> " << last;
  }
}

TEST(Training, AStepOfAKnownShapeAllocatesNothing) {
  auto be = make_cpu_backend();
  ASSERT_GE(be->allocation_count(), 0) << "the CPU backend counts its allocations";
  for (const ModelConfig& c : {ModelConfig{"sample-fcn", 4, 4, {8, 8}}, ModelConfig{"unet-small", 4, 4, {8, 16}}}) {
    auto model = make_model(*be, c, 3);
    Trainer trainer(*model, AdamConfig{}, LrSchedule{}, {});
    Predictor predict(*model);
    const Batch b = make_batch(c, 2, 16, 16, 9);
    trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
    predict.probabilities(b.x.data(), b.n, b.h, b.w);
    const int64_t before = be->allocation_count();
    for (int i = 0; i < 3; ++i) {
      trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
      predict.probabilities(b.x.data(), b.n, b.h, b.w);
    }
    EXPECT_EQ(be->allocation_count(), before) << c.arch;
    const Batch smaller = make_batch(c, 1, 8, 8, 9);  // smaller shapes reuse the same buffers
    trainer.step(smaller.x.data(), smaller.labels.data(), smaller.n, smaller.h, smaller.w);
    EXPECT_EQ(be->allocation_count(), before) << c.arch;
  }
}

TEST(Training, ThreadsGiveTheSameSteps) {
  const ModelConfig c{"unet-small", 4, 4, {8, 16}};
  const Batch b = make_batch(c, 3, 16, 16, 4);  // 3 images on 2 threads: uneven split
  std::vector<float> losses[2];
  std::vector<float> weights[2];
  for (int t = 0; t < 2; ++t) {
    auto be = make_cpu_backend(t + 1);
    auto model = make_model(*be, c, 8);
    Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-2f, 1e-3f, 1, 5}, {});
    for (int i = 0; i < 4; ++i) losses[t].push_back(trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w));
    weights[t] = model->params().find("enc0.conv1.weight")->get();
  }
  for (size_t i = 0; i < losses[0].size(); ++i) EXPECT_NEAR(losses[1][i], losses[0][i], 1e-5) << "step " << i;
  ASSERT_EQ(weights[0].size(), weights[1].size());
  for (size_t i = 0; i < weights[0].size(); ++i) ASSERT_NEAR(weights[1][i], weights[0][i], 1e-5) << i;
}

TEST(Models, FoldedInferenceMatchesTheLayerByLayerReference) {
  // unet-small depth 1 is conv-BN-ReLU-conv-BN-ReLU-head: recompute it from the op
  // references (no folding) and compare with the model's folded evaluation forward.
  auto be = make_cpu_backend();
  const ModelConfig c{"unet-small", 3, 4, {8}};
  auto model = make_model(*be, c, 5);
  Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-2f, 0.0f, 0, 5}, {});
  const Batch b = make_batch(c, 2, 6, 6, 2);
  for (int i = 0; i < 2; ++i) trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);  // non-trivial statistics
  auto p = [&](const std::string& n) { return model->params().find(n)->get(); };
  std::vector<float> a = b.x;
  int64_t ch = 3;
  for (const std::string stage : {"enc0.conv1", "enc0.conv2"}) {
    const std::string bn = stage == "enc0.conv1" ? "enc0.bn1" : "enc0.bn2";
    const Conv2dShape s{2, ch, 6, 6, 8, 3, 1};
    std::vector<float> y(static_cast<size_t>(s.output_size())), z(y.size());
    conv2d_forward_reference(s, a.data(), p(stage + ".weight").data(), nullptr, y.data());
    batch_norm_forward_eval_reference(BatchNormShape{2, 8, 36, 1e-5f, 0.1f}, y.data(), p(bn + ".weight").data(),
                                      p(bn + ".bias").data(), p(bn + ".running_mean").data(),
                                      p(bn + ".running_var").data(), z.data());
    for (float& v : z) v = std::max(v, 0.0f);
    a = z, ch = 8;
  }
  std::vector<float> want(2 * 4 * 36);
  conv2d_forward_reference(Conv2dShape{2, 8, 6, 6, 4, 1, 1}, a.data(), p("head.weight").data(),
                           p("head.bias").data(), want.data());
  const Act got = model->forward(b.x.data(), 2, 6, 6, false);
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data[i], want[i], 1e-4) << i;
}

TEST(LrSchedule, WarmsUpLinearlyThenFollowsACosine) {
  const LrSchedule s{1.0f, 0.1f, 4, 14};
  EXPECT_FLOAT_EQ(s.at(0), 0.25f);
  EXPECT_FLOAT_EQ(s.at(3), 1.0f);
  EXPECT_FLOAT_EQ(s.at(4), 1.0f);
  EXPECT_NEAR(s.at(9), 0.55f, 1e-6);  // half way through the cosine
  EXPECT_FLOAT_EQ(s.at(14), 0.1f);
  EXPECT_FLOAT_EQ(s.at(1000), 0.1f);
  for (int64_t i = 5; i < 14; ++i) EXPECT_LT(s.at(i), s.at(i - 1));
  EXPECT_THROW((LrSchedule{1.0f, 2.0f, 0, 10}.at(0)), Error);
}

ModelInfo test_info(int64_t bands) {
  ModelInfo info;
  info.normalization.a.assign(static_cast<size_t>(bands), 1000.0f);
  info.normalization.b.assign(static_cast<size_t>(bands), 500.0f);
  for (int64_t i = 0; i < bands; ++i) info.band_names.push_back(std::string(1, 'B').append(std::to_string(i + 1)));
  info.class_names = {"water", "trees", "grass", "flooded_vegetation"};
  return info;
}

TEST(ModelState, RoundTripGivesIdenticalOutputs) {
  auto be = make_cpu_backend();
  const ModelConfig c{"unet-small", 4, 4, {4, 8}};
  auto model = make_model(*be, c, 21);
  Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-2f, 0.0f, 0, 10}, {});
  const Batch b = make_batch(c, 2, 8, 8, 1);
  for (int i = 0; i < 3; ++i) trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);  // non-trivial BN stats
  std::mt19937_64 rng(99);
  rng.discard(17);
  const ModelState state = capture_state(*model, &trainer.optimizer(), test_info(4), &rng);

  auto copy = model_from_state(*be, state);
  Predictor pa(*model), pb(*copy);
  const Act ya = pa.probabilities(b.x.data(), b.n, b.h, b.w);
  const std::vector<float> a(ya.data, ya.data + ya.numel());
  const Act yb = pb.probabilities(b.x.data(), b.n, b.h, b.w);
  EXPECT_EQ(std::vector<float>(yb.data, yb.data + yb.numel()), a);

  const ModelInfo info = info_from_state(state);
  EXPECT_EQ(info.band_names, test_info(4).band_names);
  EXPECT_EQ(info.class_names, test_info(4).class_names);
  EXPECT_EQ(info.normalization.a, test_info(4).normalization.a);
  std::mt19937_64 restored;
  load_rng(restored, state);
  EXPECT_EQ(restored(), rng());
}

TEST(ModelState, ResumedTrainingContinuesExactly) {
  auto be = make_cpu_backend();
  const ModelConfig c{"sample-fcn", 4, 4, {6, 5}};
  const Batch b = make_batch(c, 2, 8, 8, 2);
  const AdamConfig adam{0.9f, 0.99f, 1e-8f, 1e-3f, true};
  const LrSchedule lr{1e-2f, 1e-4f, 2, 8};
  auto model = make_model(*be, c, 4);
  Trainer trainer(*model, adam, lr, {});
  for (int i = 0; i < 3; ++i) trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
  const ModelState state = capture_state(*model, &trainer.optimizer(), test_info(4), nullptr);
  std::vector<float> straight;
  for (int i = 0; i < 3; ++i) straight.push_back(trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w));

  auto resumed = model_from_state(*be, state);
  Trainer again(*resumed, adam, lr, {});
  load_optimizer(again.optimizer(), state);
  EXPECT_EQ(again.optimizer().steps_taken(), 3);
  std::vector<float> after;
  for (int i = 0; i < 3; ++i) after.push_back(again.step(b.x.data(), b.labels.data(), b.n, b.h, b.w));
  EXPECT_EQ(after, straight);
}

TEST(ModelState, AnotherArchitectureIsAClearError) {
  auto be = make_cpu_backend();
  auto fcn = make_model(*be, {"sample-fcn", 4, 4, {6, 5}}, 1);
  auto unet = make_model(*be, {"unet-small", 4, 4, {4, 8}}, 1);
  const ModelState state = capture_state(*fcn, nullptr, test_info(4), nullptr);
  try {
    load_weights(*unet, state);
    FAIL() << "loading a sample-fcn state into a unet-small must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("saved from sample-fcn"), std::string::npos) << e.what();
  }
  auto wider = make_model(*be, {"sample-fcn", 4, 4, {6, 6}}, 1);
  EXPECT_THROW(load_weights(*wider, state), Error);
}

TEST(ModelState, TruncatedOrDamagedStateIsAClearError) {
  auto be = make_cpu_backend();
  auto model = make_model(*be, {"sample-fcn", 4, 4, {6, 5}}, 1);
  const ModelState good = capture_state(*model, nullptr, test_info(4), nullptr);
  auto message = [&](const ModelState& s) {
    try {
      load_weights(*model, s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ModelState missing = good;
  missing.tensors.erase(missing.tensors.begin() + 2);
  EXPECT_NE(message(missing).find("missing tensor 'deconv.weight'"), std::string::npos) << message(missing);
  ModelState short_values = good;
  short_values.tensors[0].values.resize(10);
  EXPECT_NE(message(short_values).find("truncated"), std::string::npos) << message(short_values);
  ModelState nan = good;
  nan.tensors[1].values[0] = NAN;
  EXPECT_NE(message(nan).find("NaN"), std::string::npos) << message(nan);
  ModelState no_meta = good;
  no_meta.metadata.erase("widths");
  EXPECT_NE(message(no_meta).find("missing metadata 'widths'"), std::string::npos) << message(no_meta);
  ModelState bad_int = good;
  bad_int.metadata["classes"] = "nine";
  EXPECT_NE(message(bad_int).find("not an integer"), std::string::npos) << message(bad_int);
}

TEST(BadInput, NaNInTheInputIsRefused) {
  auto be = make_cpu_backend();
  const ModelConfig c{"sample-fcn", 4, 4, {6, 5}};
  auto model = make_model(*be, c, 1);
  Batch b = make_batch(c, 1, 8, 8, 1);
  b.x[17] = NAN;
  Trainer trainer(*model, {}, {}, {});
  const std::vector<float> before = model->params().all()[0]->get();
  try {
    trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w);
    FAIL() << "a NaN input must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 NaN or infinite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(model->params().all()[0]->get(), before) << "weights must be untouched";
  Predictor p(*model);
  EXPECT_THROW(p.probabilities(b.x.data(), b.n, b.h, b.w), Error);
}

TEST(BadInput, WrongPatchSizeOrLabelsAreErrors) {
  auto be = make_cpu_backend();
  const ModelConfig c{"unet-small", 4, 4, {4, 8, 8}};
  auto model = make_model(*be, c, 1);
  Batch b = make_batch(c, 1, 8, 8, 1);
  Predictor p(*model);
  EXPECT_THROW(p.probabilities(b.x.data(), 1, 6, 8), Error);  // 6 is not divisible by 4
  b.labels[3] = 7;                                              // only classes 0..3 and 255
  Trainer trainer(*model, {}, {}, {});
  EXPECT_THROW(trainer.step(b.x.data(), b.labels.data(), b.n, b.h, b.w), Error);
  EXPECT_THROW(Trainer(*model, {}, {}, LossConfig{{1.0f, 1.0f}, 0.0f}), Error);  // 2 weights for 4 classes
}

// The normalisation's transfer, by hand: standard is (dn - mean) / std, log_sigmoid is Dynamic
// World's, and DN 0 (no data) is the neutral 0 in both.
TEST(Normalization, TransfersAndNoData) {
  const uint16_t dn[3] = {1500, 0, 3000};
  float out[3];
  const BandNormalization standard{NormalizationMode::standard, {1000.0f}, {500.0f}};
  normalize_bands_reference(dn, out, standard, 1, 3);
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_FLOAT_EQ(out[2], 4.0f);
  const BandNormalization dw{NormalizationMode::log_sigmoid, {1.7f}, {2.0f}};
  normalize_bands_reference(dn, out, dw, 1, 3);
  const double z = (std::log(1500 * 0.005 + 1.0) - 1.7) / 2.0;
  EXPECT_NEAR(out[0], 1.0 / (1.0 + std::exp(-(5.0 * z - 1.0))), 1e-6);
  EXPECT_EQ(out[1], 0.0f);
}

// An input pixel changes outputs within receptive_radius of it and nowhere else, and the radius
// is not loose: something changes at its edge (predict's halo relies on both).
class ReceptiveField : public ::testing::TestWithParam<ModelConfig> {};

TEST_P(ReceptiveField, RadiusBoundsWhereAnInputPixelActs) {
  auto be = make_cpu_backend();
  const ModelConfig c = GetParam();
  auto model = make_model(*be, c, 3);
  const int64_t size = 96, r = receptive_radius(c), at = 45;  // an odd spot: inside a pooling cell
  const int64_t reach =
      test::input_pixel_reach(*model, random_floats(c.in_bands * size * size, 1), size, at, 3.0f);
  EXPECT_LE(reach, r) << c.describe();
  EXPECT_GE(reach, r - spatial_multiple(c)) << c.describe() << ": the radius is loose";
}

INSTANTIATE_TEST_SUITE_P(Models, ReceptiveField,
                         ::testing::Values(sample_fcn_config(), ModelConfig{"unet-small", 3, 9, {4, 6, 8}},
                                           ModelConfig{"unet-small", 3, 9, {4, 6}}),
                         [](const auto& info) {
                           return info.param.arch == "sample-fcn" ? std::string("sample_fcn")
                                                                  : "unet_depth" + std::to_string(info.param.widths.size());
                         });

}  // namespace
}  // namespace strata::nn
