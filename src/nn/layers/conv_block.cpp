#include "nn/layers/conv_block.h"

namespace strata::nn {

ConvBlock::ConvBlock(ParamSet& params, const std::string& name, int64_t c_in, int64_t c_out, std::mt19937_64& rng)
    : conv1_(params, name + ".conv1", c_in, c_out, 3, 1, false, rng),
      bn1_(params, name + ".bn1", c_out),
      conv2_(params, name + ".conv2", c_out, c_out, 3, 1, false, rng),
      bn2_(params, name + ".bn2", c_out) {}

Act ConvBlock::forward(const Act& x, bool train) {
  return bn2_.forward(conv2_.forward(bn1_.forward(conv1_.forward(x), train)), train);
}

Act ConvBlock::backward(const float* dy, bool need_dx) {
  Act d = bn2_.backward(dy);
  d = conv2_.backward(d.data, true);
  d = bn1_.backward(d.data);
  return conv1_.backward(d.data, need_dx);
}

}  // namespace strata::nn
