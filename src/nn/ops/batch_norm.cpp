#include "nn/ops/batch_norm.h"

#include <cmath>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

namespace {
float activate(const BatchNormShape& s, float v) { return s.relu && !(v > 0.0f) ? 0.0f : v; }
}  // namespace

int64_t BatchNormShape::size() const { return checked_product({n, c, hw}); }

void BatchNormShape::validate() const {
  check(n > 0 && c > 0 && hw > 0, "batch_norm: every dimension must be > 0");
  check(eps > 0.0f && momentum >= 0.0f && momentum <= 1.0f, "batch_norm: need eps > 0 and momentum in [0, 1]");
  (void)size();
}

void batch_norm_forward_train_reference(const BatchNormShape& s, const float* x, const float* gamma,
                                        const float* beta, float* running_mean, float* running_var, float* y,
                                        float* save_mean, float* save_invstd) {
  s.validate();
  const double count = static_cast<double>(s.n * s.hw);
  for (int64_t c = 0; c < s.c; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < s.hw; ++i) sum += x[(n * s.c + c) * s.hw + i];
    const double mean = sum / count;
    double sq = 0.0;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < s.hw; ++i) {
        const double d = x[(n * s.c + c) * s.hw + i] - mean;
        sq += d * d;
      }
    const double var = sq / count;
    const double invstd = 1.0 / std::sqrt(var + s.eps);
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < s.hw; ++i) {
        const int64_t j = (n * s.c + c) * s.hw + i;
        y[j] = activate(s, static_cast<float>((x[j] - mean) * invstd * gamma[c] + beta[c]));
      }
    save_mean[c] = static_cast<float>(mean);
    save_invstd[c] = static_cast<float>(invstd);
    const double unbiased = count > 1.0 ? sq / (count - 1.0) : var;
    running_mean[c] = static_cast<float>((1.0 - s.momentum) * running_mean[c] + s.momentum * mean);
    running_var[c] = static_cast<float>((1.0 - s.momentum) * running_var[c] + s.momentum * unbiased);
  }
}

void batch_norm_forward_eval_reference(const BatchNormShape& s, const float* x, const float* gamma,
                                       const float* beta, const float* running_mean, const float* running_var,
                                       float* y) {
  s.validate();
  for (int64_t c = 0; c < s.c; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + s.eps);
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < s.hw; ++i) {
        const int64_t j = (n * s.c + c) * s.hw + i;
        y[j] = activate(s, static_cast<float>((x[j] - running_mean[c]) * invstd * gamma[c] + beta[c]));
      }
  }
}

void batch_norm_fold_reference(const BatchNormShape& s, const float* w, int64_t per_channel, const float* bias,
                               const float* gamma, const float* beta, const float* running_mean,
                               const float* running_var, float* w_out, float* b_out) {
  check(s.c > 0 && per_channel > 0 && s.eps > 0.0f, "batch_norm_fold: need channels, weights and eps > 0");
  for (int64_t c = 0; c < s.c; ++c) {
    const double scale = gamma[c] / std::sqrt(static_cast<double>(running_var[c]) + s.eps);
    for (int64_t j = 0; j < per_channel; ++j)
      w_out[c * per_channel + j] = static_cast<float>(w[c * per_channel + j] * scale);
    b_out[c] = static_cast<float>(beta[c] + ((bias ? bias[c] : 0.0) - running_mean[c]) * scale);
  }
}

// With xhat = (x - mean) * invstd and m = n * hw values per channel:
// dx = gamma * invstd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat)).
void batch_norm_backward_reference(const BatchNormShape& s, const float* x, const float* y, const float* gamma,
                                   const float* save_mean, const float* save_invstd, const float* dy_out, float* dx,
                                   float* dgamma, float* dbeta) {
  s.validate();
  // The gradient at the normalisation's output: dy_out through the ReLU when there is one.
  const auto dy = [&](int64_t j) { return s.relu && !(y[j] > 0.0f) ? 0.0f : dy_out[j]; };
  const double count = static_cast<double>(s.n * s.hw);
  for (int64_t c = 0; c < s.c; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < s.hw; ++i) {
        const int64_t j = (n * s.c + c) * s.hw + i;
        sum_dy += dy(j);
        sum_dy_xhat += dy(j) * (x[j] - mean) * invstd;
      }
    if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
    if (!dx) continue;
    const double scale = gamma[c] * invstd / count;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < s.hw; ++i) {
        const int64_t j = (n * s.c + c) * s.hw + i;
        const double xhat = (x[j] - mean) * invstd;
        dx[j] = static_cast<float>(scale * (count * dy(j) - sum_dy - xhat * sum_dy_xhat));
      }
  }
}

}  // namespace strata::nn
