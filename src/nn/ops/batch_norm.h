#pragma once
// Batch normalisation over (n, h, w) per channel, NCHW float32, as PyTorch's BatchNorm2d:
// training normalises with the batch's biased variance and moves the running statistics
// by `momentum` (running_var takes the unbiased variance); evaluation uses the running ones.
// With `relu` set a ReLU follows in the same op (y = max(0, bn(x))), so that neither pass
// needs a separate sweep over the activation nor backward a buffer for the masked gradient.
#include <cstdint>

namespace strata::nn {

struct BatchNormShape {
  int64_t n = 1, c = 1, hw = 1;
  float eps = 1e-5f, momentum = 0.1f;
  bool relu = false;
  int64_t size() const;  // n * c * hw, overflow-checked
  void validate() const;
};

// save_mean / save_invstd [c] keep what backward needs; running_* [c] are updated in place.
void batch_norm_forward_train_reference(const BatchNormShape& s, const float* x, const float* gamma,
                                        const float* beta, float* running_mean, float* running_var, float* y,
                                        float* save_mean, float* save_invstd);

void batch_norm_forward_eval_reference(const BatchNormShape& s, const float* x, const float* gamma,
                                       const float* beta, const float* running_mean, const float* running_var,
                                       float* y);

// Inference folds evaluation-mode batch norm into the convolution before it:
// w_out[c][j] = w[c][j] * scale[c], b_out[c] = beta[c] + (bias[c] - running_mean[c]) * scale[c], with
// scale = gamma / sqrt(running_var + eps); w is [s.c, per_channel] (a conv weight, or a depthwise
// one [c, 1, k, k] with per_channel = k * k); bias is the conv's own, null when it has none.
void batch_norm_fold_reference(const BatchNormShape& s, const float* w, int64_t per_channel, const float* bias,
                               const float* gamma, const float* beta, const float* running_mean,
                               const float* running_var, float* w_out, float* b_out);

// Backward of the training forward. Overwrites dx, dgamma, dbeta; dx may be dy (in place).
// y is the forward's output, read only with s.relu: dy counts as zero where y <= 0.
void batch_norm_backward_reference(const BatchNormShape& s, const float* x, const float* y, const float* gamma,
                                   const float* save_mean, const float* save_invstd, const float* dy, float* dx,
                                   float* dgamma, float* dbeta);

}  // namespace strata::nn
