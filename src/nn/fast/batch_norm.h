#pragma once
// The fast CPU path of batch normalisation: same contracts as nn/ops/batch_norm.h, with
// float arithmetic in 16 independent lanes per row (so it vectorises) and the rows combined
// in double, and the affine map folded to y = x * scale + shift. Each works on the channels
// [c0, c1) only (all by default), so threads can split the channels.
#include "nn/ops/batch_norm.h"

namespace strata::nn::fast {

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                              float* running_mean, float* running_var, float* y, float* save_mean, float* save_invstd,
                              int64_t c0 = 0, int64_t c1 = -1);
void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, float* y, int64_t c0 = 0,
                             int64_t c1 = -1);
void batch_norm_backward(const BatchNormShape& s, const float* x, const float* y, const float* gamma,
                         const float* save_mean, const float* save_invstd, const float* dy, float* dx, float* dgamma,
                         float* dbeta, int64_t c0 = 0, int64_t c1 = -1);

}  // namespace strata::nn::fast
