#include "nn/layers/conv2d_layer.h"

#include "core/error.h"

namespace strata::nn {

Conv2dLayer::Conv2dLayer(ParamSet& params, const std::string& name, int64_t c_in, int64_t c_out, int64_t k,
                         int64_t stride, bool bias, std::mt19937_64& rng)
    : be_(params.backend()), c_in_(c_in), c_out_(c_out), k_(k), stride_(stride) {
  const int64_t fan_in = checked_product({c_in, k, k});
  weight_ = &params.add(name + ".weight", Shape{c_out, c_in, k, k}, true,
                        uniform_init(checked_product({c_out, c_in, k, k}), fan_in, rng));
  if (bias) bias_ = &params.add(name + ".bias", Shape{c_out}, true, uniform_init(c_out, fan_in, rng));
}

Act Conv2dLayer::forward(const Act& x, Activation act) {
  return forward_with(x, weight_->data(), bias_ ? bias_->data() : nullptr, act);
}

Act Conv2dLayer::forward_with(const Act& x, const float* weight, const float* bias, Activation act) {
  if (x.c != c_in_) throw Error("conv2d: input has " + std::to_string(x.c) + " channels, the layer expects " +
                          std::to_string(c_in_));
  Conv2dShape s = shape_of(x);
  s.act = act;
  s.validate();
  x_ = x;
  Act y = out_.shape(be_, x.n, c_out_, s.out_h(), s.out_w());
  be_.conv2d_forward(s, x.data, weight, bias, y.data);
  return y;
}

Act Conv2dLayer::backward(const float* dy, bool need_dx) {
  Act dx = need_dx ? dx_.shape(be_, x_.n, x_.c, x_.h, x_.w) : Act{};
  be_.conv2d_backward(shape_of(x_), x_.data, weight_->data(), dy, dx.data, weight_->grad_data(),
                      bias_ ? bias_->grad_data() : nullptr);
  return dx;
}

}  // namespace strata::nn
