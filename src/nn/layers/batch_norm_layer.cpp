#include "nn/layers/batch_norm_layer.h"

#include <vector>

#include "core/error.h"

namespace strata::nn {

BatchNormReluLayer::BatchNormReluLayer(ParamSet& params, const std::string& name, int64_t channels, float eps,
                                       float momentum)
    : be_(params.backend()), c_(channels), eps_(eps), momentum_(momentum) {
  const std::vector<float> ones(static_cast<size_t>(channels), 1.0f), zeros(static_cast<size_t>(channels), 0.0f);
  gamma_ = &params.add(name + ".weight", Shape{channels}, true, ones);
  beta_ = &params.add(name + ".bias", Shape{channels}, true, zeros);
  running_mean_ = &params.add(name + ".running_mean", Shape{channels}, false, zeros);
  running_var_ = &params.add(name + ".running_var", Shape{channels}, false, ones);
}

Act BatchNormReluLayer::forward(const Act& x, bool train) {
  if (x.c != c_) throw Error("batch_norm: input has " + std::to_string(x.c) + " channels, the layer expects " +
                       std::to_string(c_));
  const BatchNormShape s{x.n, c_, x.hw(), eps_, momentum_, true};
  x_ = x;
  y_ = out_.shape(be_, x.n, x.c, x.h, x.w);
  if (train) {
    Act mean = mean_.shape(be_, 1, c_, 1, 1), invstd = invstd_.shape(be_, 1, c_, 1, 1);
    be_.batch_norm_forward_train(s, x.data, gamma_->data(), beta_->data(), running_mean_->data(),
                                 running_var_->data(), y_.data, mean.data, invstd.data);
  } else {
    be_.batch_norm_forward_eval(s, x.data, gamma_->data(), beta_->data(), running_mean_->data(),
                                running_var_->data(), y_.data);
  }
  return y_;
}

void BatchNormReluLayer::fold(const Param& conv_weight, float* w_out, float* b_out) {
  const BatchNormShape s{1, c_, 1, eps_, momentum_};
  be_.batch_norm_fold(s, const_cast<Param&>(conv_weight).data(), conv_weight.numel() / c_, nullptr, gamma_->data(),
                      beta_->data(), running_mean_->data(), running_var_->data(), w_out, b_out);
}

Act BatchNormReluLayer::backward(float* dy) {
  const BatchNormShape s{x_.n, c_, x_.hw(), eps_, momentum_, true};
  const Act dx{dy, x_.n, x_.c, x_.h, x_.w};
  Act mean = mean_.shape(be_, 1, c_, 1, 1), invstd = invstd_.shape(be_, 1, c_, 1, 1);
  be_.batch_norm_backward(s, x_.data, y_.data, gamma_->data(), mean.data, invstd.data, dy, dx.data,
                          gamma_->grad_data(), beta_->grad_data());
  return dx;
}

}  // namespace strata::nn
