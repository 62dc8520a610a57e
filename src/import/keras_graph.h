#pragma once
// A Keras functional model (the config JSON of saved_model.pb) and its variables -> an
// nn::GraphSpec and the weights named as graph_spec.h says. Nested functional models are
// flattened (the inner model's inputs become the tensors the outer model passes it).
//
// Layers, and what they become:
//   InputLayer                     input (channels: the last dim of batch_input_shape)
//   Conv2D                         conv2d (+ relu when activation is relu); "same" with an odd
//                                  square kernel or a 1x1 "valid"; stride 1, dilation 1, groups 1
//   DepthwiseConv2D                depthwise_conv2d (+ relu), the same restrictions, multiplier 1
//   BatchNormalization             batch_norm (axis 3 / -1; momentum 1 - Keras' momentum, which
//                                  Keras applies to the running value, PyTorch to the batch's)
//   ReLU, Activation(relu|linear)  relu, or nothing for linear
//   TFOpLambda math.multiply(x, tanh(softplus(x)))   ONE mish node, named after the multiply;
//                                  the softplus and tanh may feed nothing else
//   TFOpLambda __operators__.add   add;   concat (axis -1 / 3) -> concat
//   TFOpLambda image.resize(x, size=S)  resize, where S is compat.v1.shape(X)[1:3], optionally
//                                  / D (math.truediv by an integer) and cast to int32: size_of X,
//                                  divisor D; bilinear only, antialias as given
//   TFOpLambda math.l2_normalize (axis -1 / 3)       l2_normalize (epsilon, default 1e-12)
//   the shape arithmetic above     no node
// Anything else is an Error "<file>: layer '<name>' of type <class_name>[/<function>] is not
// supported by strata import-model".
//
// Weights come through the checkpoint's object graph: node 0 is the root model, a model's child
// "layer-K" is the K-th entry of its config's `layers`, a layer's children "kernel", "bias",
// "depthwise_kernel", "gamma", "beta", "moving_mean", "moving_variance" are variables whose
// attribute VARIABLE_VALUE names the checkpoint key. Keras kernels are HWIO [kh, kw, in, out]
// and become [out, in, kh, kw]; depthwise [kh, kw, c, 1] becomes [c, 1, kh, kw]. Every shape is
// checked against the config and the layer's input.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "import/tensor_bundle.h"
#include "nn/graph_spec.h"
#include "nn/model_state.h"

namespace strata::import {

struct KerasConversion {
  nn::GraphSpec graph;                  // validated; the last node is the model's output
  std::vector<nn::StateTensor> weights; // every parameter of the graph, in node order
};

// model: the root model's JSON (class_name, config{layers, input_layers, output_layers});
// objects: the checkpoint's object graph; tensors: its float tensors by checkpoint key;
// file: named in every error (the saved_model.pb the config came from).
KerasConversion convert_keras_model(const nlohmann::json& model, const TrackableObjectGraph& objects,
                                    const std::map<std::string, FloatTensor>& tensors, const std::string& file);

// Parameters of the graph's weights: all, and without the batch-norm running statistics.
struct ParameterCounts {
  int64_t all = 0;
  int64_t trainable = 0;  // all but running_mean / running_var
};
ParameterCounts count_parameters(const std::vector<nn::StateTensor>& weights);

}  // namespace strata::import
