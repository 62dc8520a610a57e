// Both models against PyTorch 1.13 (files from scripts/make_golden.py, committed under
// tests/golden/): training-mode logits, the loss and every parameter gradient at the same
// initial weights, 10 Adam/AdamW step losses under the warm-up + cosine schedule, and the
// evaluation-mode probabilities afterwards. The settings repeat the script's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "golden_reader.h"
#include "nn/model.h"
#include "nn/trainer.h"

namespace strata::nn {
namespace {

using test::GoldenTensor;

// |got - want| <= rtol * max|want| + atol elementwise, reporting the worst element.
::testing::AssertionResult close_to(const float* got, const GoldenTensor& want, double rtol, double atol = 1e-7) {
  double scale = 0.0;
  for (float v : want.f32) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  double worst = -1.0;
  size_t at = 0;
  for (size_t i = 0; i < want.f32.size(); ++i) {
    const double d = std::isfinite(got[i]) ? std::fabs(static_cast<double>(got[i]) - want.f32[i]) : INFINITY;
    if (d > worst) worst = d, at = i;
  }
  if (worst <= rtol * scale + atol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |diff| " << worst << " at [" << at << "]: got " << got[at] << ", want "
                                       << want.f32[at] << " (max |want| " << scale << ")";
}

struct GoldenCase {
  std::string file;
  ModelConfig config;
  AdamConfig adam;
};

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesPyTorch) {
  const GoldenCase& gc = GetParam();
  const auto g = test::read_golden(std::string(STRATA_SOURCE_DIR) + "/tests/golden/" + gc.file);
  auto at = [&](const std::string& name) -> const GoldenTensor& {
    const auto it = g.find(name);
    if (it == g.end()) throw Error("golden file lacks '" + name + "'");
    return it->second;
  };
  auto be = make_cpu_backend();
  auto model = make_model(*be, gc.config, 0);
  int loaded = 0;
  for (Param* p : model->params().all()) {
    const GoldenTensor& t = at("param." + p->name);
    ASSERT_EQ(t.shape, p->shape.dims()) << p->name;
    p->set(t.f32);
    ++loaded;
  }
  int in_file = 0;
  for (const auto& [name, t] : g) in_file += name.rfind("param.", 0) == 0 ? 1 : 0;
  ASSERT_EQ(loaded, in_file) << "PyTorch's model has parameters this one lacks";

  const GoldenTensor& x = at("input");
  const GoldenTensor& labels = at("labels");
  const int64_t n = x.shape[0], h = x.shape[2], w = x.shape[3];
  const LossConfig loss{at("class_weights").f32, 0.1f};
  const LrSchedule schedule{1e-2f, 1e-3f, 3, 10};

  Trainer trainer(*model, gc.adam, schedule, loss);
  const float initial = trainer.loss_and_gradients(x.f32.data(), labels.u8.data(), n, h, w);
  EXPECT_NEAR(initial, at("loss.initial").f32[0], 1e-5) << "initial loss";
  const Act logits = model->forward(x.f32.data(), n, h, w, true);
  EXPECT_TRUE(close_to(logits.data, at("logits.train"), 1e-5)) << "training-mode logits";
  trainer.loss_and_gradients(x.f32.data(), labels.u8.data(), n, h, w);
  int grads = 0;
  for (Param* p : model->params().all()) {
    if (!p->trainable) continue;
    EXPECT_TRUE(close_to(p->grad_data(), at("grad." + p->name), 1e-4)) << "gradient of " << p->name;
    ++grads;
  }
  EXPECT_GT(grads, 0);

  // The forwards above moved the running statistics; PyTorch's steps start from the initial ones.
  for (Param* p : model->params().all())
    if (!p->trainable) p->set(at("param." + p->name).f32);
  const GoldenTensor& losses = at("losses");
  ASSERT_EQ(losses.f32.size(), 10u);
  for (size_t s = 0; s < losses.f32.size(); ++s) {
    const float got = trainer.step(x.f32.data(), labels.u8.data(), n, h, w);
    EXPECT_NEAR(got, losses.f32[s], 2e-5 * std::max(1.0f, std::fabs(losses.f32[s]))) << "loss of Adam step " << s;
  }
  Predictor predict(*model);
  const Act probs = predict.probabilities(x.f32.data(), n, h, w);
  EXPECT_TRUE(close_to(probs.data, at("probs.eval"), 1e-4)) << "evaluation-mode probabilities after 10 steps";
}

INSTANTIATE_TEST_SUITE_P(
    Models, Golden,
    ::testing::Values(GoldenCase{"sample_fcn.tensors", {"sample-fcn", 13, 9, {32, 16}}, {0.9f, 0.999f, 1e-8f, 1e-4f, false}},
                      GoldenCase{"unet_small.tensors", {"unet-small", 13, 9, {4, 8, 16}}, {0.9f, 0.999f, 1e-8f, 1e-2f, true}}),
    [](const auto& info) { return info.param.config.arch == "sample-fcn" ? "sample_fcn" : "unet_small"; });

}  // namespace
}  // namespace strata::nn
