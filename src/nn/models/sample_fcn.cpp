// Dynamic World's sample FCN: Conv 5x5 in->w0 + ReLU, transposed Conv 5x5 w0->w1 (stride 1,
// same size) + ReLU, 1x1 Conv w1->classes. 13 -> 32 -> 16 -> 9 has 23,401 parameters.
#include <random>

#include "nn/layers/conv2d_layer.h"
#include "nn/layers/conv_transpose2d_layer.h"
#include "nn/model.h"

namespace strata::nn {
namespace {

class SampleFcn final : public Model {
 public:
  SampleFcn(Backend& be, const ModelConfig& c, std::mt19937_64& rng)
      : Model(be, c),
        conv1_(params_, "conv1", c.in_bands, c.widths[0], 5, 1, true, rng),
        deconv_(params_, "deconv", c.widths[0], c.widths[1], 5, 1, 2, rng),
        head_(params_, "head", c.widths[1], c.classes, 1, 1, true, rng) {}

  Act forward(const float* x, int64_t n, int64_t h, int64_t w, bool train) override {
    // At inference the first ReLU runs in the convolution's epilogue; training keeps it an op.
    Act a = conv1_.forward({const_cast<float*>(x), n, config_.in_bands, h, w},
                           train ? Activation::none : Activation::relu);
    if (train) backend().relu_forward(a.data, a.data, a.numel());
    a1_ = a;
    Act b = deconv_.forward(a);
    backend().relu_forward(b.data, b.data, b.numel());
    a2_ = b;
    return head_.forward(b);
  }

  void backward(const float* dlogits) override {
    Act d2 = head_.backward(dlogits, true);
    backend().relu_backward(a2_.data, d2.data, d2.data, d2.numel());
    Act d1 = deconv_.backward(d2.data, true);
    backend().relu_backward(a1_.data, d1.data, d1.data, d1.numel());
    conv1_.backward(d1.data, false);
  }

 private:
  Conv2dLayer conv1_;
  ConvTranspose2dLayer deconv_;
  Conv2dLayer head_;
  Act a1_, a2_;  // post-ReLU activations (ReLU ran in place)
};

}  // namespace

std::unique_ptr<Model> make_sample_fcn(Backend& be, const ModelConfig& config, uint64_t seed) {
  std::mt19937_64 rng(seed);
  return std::make_unique<SampleFcn>(be, config, rng);
}

}  // namespace strata::nn
