#pragma once
// L2 normalisation over channels, NCHW float32, as tf.math.l2_normalize(axis=-1) on NHWC:
// y[c] = x[c] / sqrt(max(sum_c x[c]^2, eps)) at every pixel. Backward: with s = sum x^2,
// dx = (dy - x (x . dy) / s) / sqrt(s) where s > eps, dx = dy / sqrt(eps) where s <= eps.
#include <cstdint>

namespace strata::nn {

struct L2NormalizeShape {
  int64_t n = 1, c = 1, hw = 1;
  float eps = 1e-12f;
  int64_t size() const;   // n * c * hw, overflow-checked
  void validate() const;  // Error unless sizes > 0 and eps > 0
};

void l2_normalize_forward_reference(const L2NormalizeShape& s, const float* x, float* y);
// Overwrites dx (which may not alias dy or x).
void l2_normalize_backward_reference(const L2NormalizeShape& s, const float* x, const float* dy, float* dx);

}  // namespace strata::nn
