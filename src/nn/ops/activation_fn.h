#pragma once
// The activation a convolution may apply to its own output (Conv2dShape::act,
// DepthwiseConv2dShape::act): y = act(conv(x, w) + b), a forward-only epilogue, so that an
// inference graph (conv -> folded batch norm -> Mish) writes each activation once instead of a
// second pass over memory. apply_activation is the scalar specification the references use:
// ReLU exactly as relu_forward_reference, Mish exactly as mish_forward_reference (the same
// function, nn/ops/mish.h), applied to the float result of the convolution.
#include "nn/ops/mish.h"

namespace strata::nn {

enum class Activation { none, relu, mish };

inline float apply_activation(Activation a, float x) {
  switch (a) {
    case Activation::none: break;
    case Activation::relu: return x > 0.0f ? x : 0.0f;
    case Activation::mish: return mish_reference(x);
  }
  return x;
}

}  // namespace strata::nn
