// A small U-Net: an encoder of ConvBlocks widths[0] -> ... -> widths[D-1] with 2x2 max pooling
// between stages, a decoder that upsamples with 2x2 stride-2 transposed convolutions, joins
// the encoder's output of the same scale (channel concat [upsampled, skip]) and runs a
// ConvBlock back down to that stage's width, and a 1x1 convolution to the classes.
// 13 bands, widths {32, 64, 128}, 9 classes: 470,313 parameters.
#include <memory>
#include <random>
#include <vector>

#include "core/error.h"
#include "nn/layers/conv2d_layer.h"
#include "nn/layers/conv_block.h"
#include "nn/layers/conv_transpose2d_layer.h"
#include "nn/model.h"

namespace strata::nn {
namespace {

class UNetSmall final : public Model {
 public:
  UNetSmall(Backend& be, const ModelConfig& c, std::mt19937_64& rng) : Model(be, c), depth_(c.widths.size()) {
    for (size_t i = 0; i < depth_; ++i)
      enc_.push_back(std::make_unique<ConvBlock>(params_, "enc" + std::to_string(i),
                                                 i == 0 ? c.in_bands : c.widths[i - 1], c.widths[i], rng));
    up_.resize(depth_ - 1);  // index j is decoder level j, which works at encoder stage j's scale
    dec_.resize(up_.size());
    for (size_t j = depth_ - 1; j-- > 0;) {
      up_[j] = std::make_unique<ConvTranspose2dLayer>(params_, "up" + std::to_string(j), c.widths[j + 1], c.widths[j],
                                                      2, 2, 0, rng);
      dec_[j] = std::make_unique<ConvBlock>(params_, "dec" + std::to_string(j), 2 * c.widths[j], c.widths[j], rng);
    }
    head_ = std::make_unique<Conv2dLayer>(params_, "head", c.widths[0], c.classes, 1, 1, true, rng);
    enc_out_.resize(depth_);
    pool_.resize(depth_);
    cat_.resize(up_.size());
    dskip_.resize(up_.size());
    dup_.resize(up_.size());
    dpool_.resize(depth_);
  }

  Act forward(const float* x, int64_t n, int64_t h, int64_t w, bool train) override {
    const int64_t f = int64_t{1} << (depth_ - 1);
    if (h % f != 0 || w % f != 0) throw Error("unet-small: patch " + std::to_string(h) + "x" + std::to_string(w) +
                                         " must be divisible by " + std::to_string(f) + " (2^(depth-1))");
    Act in{const_cast<float*>(x), n, config_.in_bands, h, w};  // read only: layers pass it on as const
    for (size_t i = 0; i < depth_; ++i) {
      if (i > 0) {
        const Act& e = enc_out_[i - 1];
        const PoolShape ps{e.n, e.c, e.h, e.w};
        in = pool_[i].shape(backend(), e.n, e.c, e.h / 2, e.w / 2);
        backend().max_pool2x2_forward(ps, e.data, in.data);
      }
      enc_out_[i] = enc_[i]->forward(in, train);
    }
    Act u = enc_out_[depth_ - 1];
    for (size_t j = depth_ - 1; j-- > 0;) {
      const Act t = up_[j]->forward(u);
      const Act& skip = enc_out_[j];
      Act c = cat_[j].shape(backend(), n, t.c + skip.c, skip.h, skip.w);
      const float* parts[] = {t.data, skip.data};
      backend().concat_channels_forward(ConcatShape{n, skip.hw(), {t.c, skip.c}}, parts, c.data);
      u = dec_[j]->forward(c, train);
    }
    return head_->forward(u);
  }

  void backward(const float* dlogits) override {
    Act du = head_->backward(dlogits, true);
    for (size_t j = 0; j + 1 < depth_; ++j) {
      const Act dc = dec_[j]->backward(du.data, true);
      const Act& skip = enc_out_[j];
      const int64_t c_up = dc.c - skip.c;
      Act dt = dup_[j].shape(backend(), dc.n, c_up, dc.h, dc.w);
      Act ds = dskip_[j].shape(backend(), dc.n, skip.c, dc.h, dc.w);
      float* parts[] = {dt.data, ds.data};
      backend().concat_channels_backward(ConcatShape{dc.n, dc.hw(), {c_up, skip.c}}, dc.data, parts);
      du = up_[j]->backward(dt.data, true);
    }
    // du is now dL/d(output of the deepest encoder stage).
    for (size_t i = depth_; i-- > 0;) {
      const Act din = enc_[i]->backward(du.data, i > 0);
      if (i == 0) break;
      const Act& e = enc_out_[i - 1];
      Act de = dpool_[i].shape(backend(), e.n, e.c, e.h, e.w);
      backend().max_pool2x2_backward(PoolShape{e.n, e.c, e.h, e.w}, e.data, din.data, de.data);
      backend().add_inplace(de.data, dskip_[i - 1].shape(backend(), e.n, e.c, e.h, e.w).data, de.numel());
      du = de;
    }
  }

 private:
  size_t depth_;
  std::vector<std::unique_ptr<ConvBlock>> enc_, dec_;
  std::vector<std::unique_ptr<ConvTranspose2dLayer>> up_;
  std::unique_ptr<Conv2dLayer> head_;
  std::vector<Act> enc_out_;
  std::vector<ActBuffer> pool_, cat_, dskip_, dup_, dpool_;
};

}  // namespace

std::unique_ptr<Model> make_unet_small(Backend& be, const ModelConfig& config, uint64_t seed) {
  std::mt19937_64 rng(seed);
  return std::make_unique<UNetSmall>(be, config, rng);
}

}  // namespace strata::nn
