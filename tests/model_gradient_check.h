#pragma once
// A whole model's gradients against central finite differences of its loss, for the model tests
// (test_nn_models.cpp, test_graph_model.cpp): every trainable parameter, a few entries of each.
// ReLU and max pooling make the loss piecewise smooth, and on tiny batches a window of all-zero
// ReLU outputs puts a kink right at the current weights. Where the one-sided differences
// disagree, the analytic gradient must match one of them (a one-sided derivative, as PyTorch also
// returns); everywhere else the central difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "model_batch.h"
#include "nn/backend.h"
#include "nn/model.h"
#include "nn/trainer.h"

namespace strata::test {

// c has 4 classes; `samples` entries of each parameter are checked, at least `min_checked` in all.
inline void expect_gradients_match_finite_differences(const nn::ModelConfig& c, uint64_t seed, int min_checked,
                                                      int64_t h = 6, int64_t w = 8, size_t samples = 4) {
  auto be = nn::make_cpu_backend();
  auto model = nn::make_model(*be, c, seed);
  nn::Trainer trainer(*model, nn::AdamConfig{}, nn::LrSchedule{}, nn::LossConfig{{1.0f, 2.0f, 0.5f, 1.5f}, 0.1f});
  const Batch b = make_batch(c, 2, h, w, 5);
  trainer.loss_and_gradients(b.x.data(), b.labels.data(), b.n, b.h, b.w);
  int checked = 0, kinks = 0;
  for (nn::Param* p : model->params().all()) {
    if (!p->trainable) continue;
    const std::vector<float> grad(p->grad_data(), p->grad_data() + p->numel());
    std::vector<float> value = p->get();
    const size_t step = std::max<size_t>(1, value.size() / samples);
    for (size_t i = 0; i < value.size(); i += step) {
      const float keep = value[i], dv = 1e-3f;
      auto loss_at = [&](float v) {
        value[i] = v;
        p->set(value);
        return static_cast<double>(trainer.loss_and_gradients(b.x.data(), b.labels.data(), b.n, b.h, b.w));
      };
      const double up = loss_at(keep + dv), down = loss_at(keep - dv), mid = loss_at(keep);
      const double fwd = (up - mid) / dv, bwd = (mid - down) / dv, central = (up - down) / (2.0 * dv);
      auto tol = [](double v) { return 2e-3 + 2e-2 * std::fabs(v); };
      if (std::fabs(fwd - bwd) > 2.0 * tol(central)) {
        ++kinks;
        EXPECT_TRUE(std::fabs(grad[i] - fwd) <= tol(fwd) || std::fabs(grad[i] - bwd) <= tol(bwd))
            << p->name << "[" << i << "] at a kink: analytic " << grad[i] << ", one-sided " << fwd << " / " << bwd;
      } else {
        EXPECT_NEAR(grad[i], central, tol(central)) << p->name << "[" << i << "]";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, min_checked);
  EXPECT_LT(kinks, checked / 4) << "too many kinks for the check to mean much";
}

}  // namespace strata::test
