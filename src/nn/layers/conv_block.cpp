#include "nn/layers/conv_block.h"

namespace strata::nn {

ConvBlock::ConvBlock(ParamSet& params, const std::string& name, int64_t c_in, int64_t c_out, std::mt19937_64& rng)
    : conv1_(params, name + ".conv1", c_in, c_out, 3, 1, false, rng),
      bn1_(params, name + ".bn1", c_out),
      conv2_(params, name + ".conv2", c_out, c_out, 3, 1, false, rng),
      bn2_(params, name + ".bn2", c_out) {}

Act ConvBlock::forward(const Act& x, bool train) {
  if (!train) return forward_folded(conv2_, bn2_, w2_, b2_, forward_folded(conv1_, bn1_, w1_, b1_, x));
  return bn2_.forward(conv2_.forward(bn1_.forward(conv1_.forward(x), true)), true);
}

Act ConvBlock::forward_folded(Conv2dLayer& conv, BatchNormReluLayer& bn, ActBuffer& w, ActBuffer& b, const Act& x) {
  Backend& be = conv.weight().backend;
  const Shape& ws = conv.weight().shape;
  const Act wf = w.shape(be, ws[0], ws[1], ws[2], ws[3]), bf = b.shape(be, 1, ws[0], 1, 1);
  bn.fold(conv.weight(), wf.data, bf.data);
  return conv.forward_with(x, wf.data, bf.data, Activation::relu);  // ReLU in the convolution's epilogue
}

Act ConvBlock::backward(float* dy, bool need_dx) {
  Act d = bn2_.backward(dy);
  d = conv2_.backward(d.data, true);
  d = bn1_.backward(d.data);
  return conv1_.backward(d.data, need_dx);
}

}  // namespace strata::nn
