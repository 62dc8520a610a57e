#include "nn/ops/adam.h"

#include <cmath>

#include "core/error.h"

namespace strata::nn {

void AdamHyper::validate() const {
  check(lr >= 0.0f && std::isfinite(lr), "adam: learning rate must be finite and >= 0");
  check(beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f, "adam: betas must be in [0, 1)");
  check(eps > 0.0f && weight_decay >= 0.0f, "adam: need eps > 0 and weight decay >= 0");
  check(step >= 1, "adam: step counts from 1");
}

void adam_step_reference(const AdamHyper& h, float* param, const float* grad, float* m, float* v, int64_t count) {
  h.validate();
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const float step_size = static_cast<float>(h.lr / bc1);
  const float sqrt_bc2 = static_cast<float>(std::sqrt(bc2));
  for (int64_t i = 0; i < count; ++i) {
    float g = grad[i];
    if (h.decoupled)
      param[i] *= 1.0f - h.lr * h.weight_decay;
    else
      g += h.weight_decay * param[i];
    m[i] = h.beta1 * m[i] + (1.0f - h.beta1) * g;
    v[i] = h.beta2 * v[i] + (1.0f - h.beta2) * g * g;
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bc2 + h.eps);
  }
}

}  // namespace strata::nn
