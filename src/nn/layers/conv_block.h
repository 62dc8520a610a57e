#pragma once
// The U-Net stage: two (3x3 conv without bias -> batch norm -> ReLU), "<name>.conv1",
// "<name>.bn1", "<name>.conv2", "<name>.bn2". The convolutions carry no bias because the
// batch norm right after them would cancel it (its gradient would be zero).
#include <random>
#include <string>

#include "nn/layers/batch_norm_layer.h"
#include "nn/layers/conv2d_layer.h"

namespace strata::nn {

class ConvBlock {
 public:
  ConvBlock(ParamSet& params, const std::string& name, int64_t c_in, int64_t c_out, std::mt19937_64& rng);
  Act forward(const Act& x, bool train);
  // dy is overwritten (the batch norms' gradients are computed in place).
  Act backward(float* dy, bool need_dx);

 private:
  Conv2dLayer conv1_;
  BatchNormReluLayer bn1_;
  Conv2dLayer conv2_;
  BatchNormReluLayer bn2_;
  // Inference: each conv with its batch norm folded in and the ReLU in its epilogue
  // (Conv2dShape::act). Saves the normalisation and ReLU passes over every activation.
  Act forward_folded(Conv2dLayer& conv, BatchNormReluLayer& bn, ActBuffer& w, ActBuffer& b, const Act& x);
  ActBuffer w1_, b1_, w2_, b2_;
};

}  // namespace strata::nn
