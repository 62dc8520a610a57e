#pragma once
// A transposed convolution with its parameters ("<name>.weight" [c_in, c_out, k, k] as in
// PyTorch, "<name>.bias" [c_out]) and the buffers of its output and input gradient.
#include <random>
#include <string>

#include "nn/activation.h"
#include "nn/param.h"

namespace strata::nn {

class ConvTranspose2dLayer {
 public:
  ConvTranspose2dLayer(ParamSet& params, const std::string& name, int64_t c_in, int64_t c_out, int64_t k,
                       int64_t stride, int64_t pad, std::mt19937_64& rng);
  Act forward(const Act& x);
  Act backward(const float* dy, bool need_dx);

 private:
  ConvTranspose2dShape shape_of(const Act& x) const { return {x.n, c_in_, x.h, x.w, c_out_, k_, stride_, pad_}; }
  Backend& be_;
  int64_t c_in_, c_out_, k_, stride_, pad_;
  Param* weight_;
  Param* bias_;
  Act x_;
  ActBuffer out_, dx_;
};

}  // namespace strata::nn
