#pragma once
// A convolution with its parameters ("<name>.weight" [c_out, c_in, k, k], "<name>.bias" [c_out]
// when biased) and the buffers of its output and input gradient.
#include <random>
#include <string>

#include "nn/activation.h"
#include "nn/param.h"

namespace strata::nn {

class Conv2dLayer {
 public:
  Conv2dLayer(ParamSet& params, const std::string& name, int64_t c_in, int64_t c_out, int64_t k, int64_t stride,
              bool bias, std::mt19937_64& rng);
  // act: an activation applied to the output in the convolution's epilogue (inference only: the
  // backward is that of the convolution alone).
  Act forward(const Act& x, Activation act = Activation::none);
  // The same convolution with other weights [c_out, c_in, k, k] and bias (inference with a
  // batch norm folded in); the layer's own parameters are untouched.
  Act forward_with(const Act& x, const float* weight, const float* bias, Activation act = Activation::none);
  const Param& weight() const { return *weight_; }
  // Writes the parameter gradients; returns dL/dx, or an empty Act when need_dx is false.
  Act backward(const float* dy, bool need_dx);

 private:
  Conv2dShape shape_of(const Act& x) const { return {x.n, c_in_, x.h, x.w, c_out_, k_, stride_}; }
  Backend& be_;
  int64_t c_in_, c_out_, k_, stride_;
  Param* weight_;
  Param* bias_ = nullptr;
  Act x_;  // the input of the last forward, kept for backward
  ActBuffer out_, dx_;
};

}  // namespace strata::nn
