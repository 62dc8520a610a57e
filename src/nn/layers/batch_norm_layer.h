#pragma once
// Batch normalisation followed by ReLU, the block every U-Net convolution ends with.
// Parameters "<name>.weight" (gamma), "<name>.bias" (beta) and the untrained buffers
// "<name>.running_mean", "<name>.running_var", named as PyTorch's BatchNorm2d state_dict.
// The ReLU is part of the batch-norm op (BatchNormShape::relu): one pass forward, and backward
// masks dy by the output, with no buffer for the masked gradient.
#include <string>

#include "nn/activation.h"
#include "nn/param.h"

namespace strata::nn {

class BatchNormReluLayer {
 public:
  BatchNormReluLayer(ParamSet& params, const std::string& name, int64_t channels, float eps = 1e-5f,
                     float momentum = 0.1f);
  Act forward(const Act& x, bool train);
  // Needs a training forward before it. The gradient is written over dy, which the caller
  // no longer needs: a buffer the size of the activation less per layer.
  Act backward(float* dy);
  // Evaluation-mode batch norm folded into the preceding bias-free convolution's weights.
  void fold(const Param& conv_weight, float* w_out, float* b_out);

 private:
  Backend& be_;
  int64_t c_;
  float eps_, momentum_;
  Param *gamma_, *beta_, *running_mean_, *running_var_;
  Act x_, y_;
  ActBuffer out_, mean_, invstd_;
};

}  // namespace strata::nn
