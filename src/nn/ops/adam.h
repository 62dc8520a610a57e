#pragma once
// One Adam / AdamW update of a parameter array, as torch.optim.Adam / AdamW:
//   Adam  (decoupled = false): g += weight_decay * p            (L2 in the gradient)
//   AdamW (decoupled = true):  p *= 1 - lr * weight_decay       (decoupled decay)
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#include <cstdint>

namespace strata::nn {

struct AdamHyper {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  bool decoupled = false;  // true: AdamW
  int64_t step = 1;        // 1-based count of this update, for bias correction
  void validate() const;
};

void adam_step_reference(const AdamHyper& h, float* param, const float* grad, float* m, float* v, int64_t count);

}  // namespace strata::nn
