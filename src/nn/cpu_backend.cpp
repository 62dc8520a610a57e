#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <sys/mman.h>

#include "core/checked.h"
#include "core/error.h"
#include "nn/backend.h"
#include "nn/fast/batch_norm.h"
#include "nn/fast/conv_gemm.h"
#include "nn/fast/cross_entropy.h"
#include "nn/fast/depthwise_conv2d.h"
#include "nn/fast/mish.h"
#include "nn/fast/gemm.h"
#include "nn/fast/l2_normalize.h"
#include "nn/fast/max_pool.h"
#include "nn/fast/resize.h"
#include "nn/fast/softmax.h"
#include "nn/fast/thread_pool.h"
#include "nn/ops/concat.h"
#include "nn/ops/elementwise.h"
#include "nn/ops/relu.h"
#include "nn/ops/softmax.h"
#include "nn/ops/upsample.h"

namespace strata::nn {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) : pool_(threads), partial_counts_(static_cast<size_t>(pool_.size())) {
    // The pool splits work across threads; a BLAS that threads too would oversubscribe, and with
    // one thread asked for (one rank a core) OpenBLAS's own threads spin in sched_yield on the
    // cores the other ranks use.
    fast::set_blas_threads(1);
  }
  Device device() const override { return Device::cpu; }
  std::string name() const override { return "cpu"; }

  void* allocate(size_t bytes) override {
    // 64-byte alignment for AVX-512 loads. Activations (megabytes) are 2 MiB aligned and asked
    // for transparent huge pages: a first touch of 4 KiB pages costs about 20 us a page on these
    // VMs, 370k faults (7 s) for unet-small's first training step against 6k with huge pages.
    constexpr size_t huge = size_t{2} << 20;
    const size_t align = bytes >= huge ? huge : 64;
    const size_t rounded = std::max<size_t>(align, (bytes + align - 1) / align * align);
    void* p = std::aligned_alloc(align, rounded);
    if (!p) throw std::bad_alloc();
    if (align == huge) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: no huge pages is not an error
    ++allocations_;
    return p;
  }
  void release(void* ptr) noexcept override { std::free(ptr); }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void synchronize() override {}
  int64_t allocation_count() const override { return allocations_; }

  void normalize_bands(const uint16_t* dn, float* out, const BandNormalization& norm, int64_t batch,
                       int64_t pixels) override {
    norm.validate();
    normalize_bands_reference(dn, out, norm, batch, pixels);
  }

  // Convolutions take the im2col + GEMM path, each thread a slice of the batch with its own
  // scratch; weight gradients are summed from per-thread partials. Batch norm takes its
  // vectorised path split by channel; the other ops are single passes over memory whose
  // references the compiler vectorises, split into contiguous ranges.
  void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) override {
    s.validate();
    const int64_t per = fast::conv2d_scratch_floats(s);
    float* scratch = this->scratch(checked_mul(per, pool_.size()));
    pool_.parallel_for(s.n, [&](int t, int64_t n0, int64_t n1) {
      Conv2dShape part = s;
      part.n = n1 - n0;
      fast::conv2d_forward(part, x + n0 * s.c_in * s.h * s.w, w, b, y + n0 * s.c_out * s.out_h() * s.out_w(),
                           scratch + t * per);
    });
  }
  void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                       float* db) override {
    s.validate();
    check(s.act == Activation::none, "conv2d_backward: the activation epilogue is forward only (act must be none)");
    const int64_t per = fast::conv2d_scratch_floats(s), wsize = s.weight_size();
    const int64_t stride = lines(per + (dw ? wsize : 0) + (db ? s.c_out : 0));
    float* scratch = this->scratch(checked_mul(stride, pool_.size()));
    const int used = static_cast<int>(std::min<int64_t>(pool_.size(), s.n));
    pool_.parallel_for(s.n, [&](int t, int64_t n0, int64_t n1) {
      Conv2dShape part = s;
      part.n = n1 - n0;
      float* mine = scratch + t * stride;
      float* pdw = dw ? (t == 0 ? dw : mine + per) : nullptr;
      float* pdb = db ? (t == 0 ? db : mine + per + (dw ? wsize : 0)) : nullptr;
      fast::conv2d_backward(part, x + n0 * s.c_in * s.h * s.w, w, dy + n0 * s.c_out * s.out_h() * s.out_w(),
                            dx ? dx + n0 * s.c_in * s.h * s.w : nullptr, pdw, pdb, mine);
    });
    for (int t = 1; t < used; ++t) {
      const float* mine = scratch + t * stride;
      if (dw) add_inplace_reference(dw, mine + per, wsize);
      if (db) add_inplace_reference(db, mine + per + (dw ? wsize : 0), s.c_out);
    }
  }
  // A stride-1 transposed convolution with pad k/2 (sample-fcn's 5x5) is the same-padded
  // convolution with the kernel flipped and its channel axes swapped:
  //   W'[co][ci][ky][kx] = W[ci][co][k-1-ky][k-1-kx]
  // so it takes the banded conv2d path instead of a whole-image col2im.
  static bool as_conv(const ConvTranspose2dShape& s) { return s.stride == 1 && s.k % 2 == 1 && s.pad == s.k / 2; }
  static Conv2dShape conv_of(const ConvTranspose2dShape& s) { return {s.n, s.c_in, s.h, s.w, s.c_out, s.k, 1}; }
  float* grow(std::vector<float>& v, int64_t floats) {
    if (static_cast<size_t>(floats) > v.size()) {
      v.resize(static_cast<size_t>(floats));
      ++allocations_;
    }
    return v.data();
  }

  void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                                float* y) override {
    s.validate();
    if (as_conv(s)) {
      float* wf = grow(flipped_, s.weight_size());
      fast::flip_swap(w, wf, s.c_in, s.c_out, s.k);
      conv2d_forward(conv_of(s), x, wf, b, y);
      return;
    }
    const int64_t per = fast::conv_transpose2d_scratch_floats(s);
    float* scratch = this->scratch(checked_mul(per, pool_.size()));
    pool_.parallel_for(s.n, [&](int t, int64_t n0, int64_t n1) {
      ConvTranspose2dShape part = s;
      part.n = n1 - n0;
      fast::conv_transpose2d_forward(part, x + n0 * s.c_in * s.h * s.w, w, b,
                                     y + n0 * s.c_out * s.out_h() * s.out_w(), scratch + t * per);
    });
  }
  void conv_transpose2d_backward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* dy,
                                 float* dx, float* dw, float* db) override {
    s.validate();
    if (as_conv(s)) {
      float* wf = grow(flipped_, s.weight_size());
      float* dwf = dw ? grow(flipped_grad_, s.weight_size()) : nullptr;
      fast::flip_swap(w, wf, s.c_in, s.c_out, s.k);
      conv2d_backward(conv_of(s), x, wf, dy, dx, dwf, db);
      if (dw) fast::flip_swap(dwf, dw, s.c_out, s.c_in, s.k);
      return;
    }
    const int64_t per = fast::conv_transpose2d_scratch_floats(s), wsize = s.weight_size();
    const int64_t stride = lines(per + (dw ? wsize : 0) + (db ? s.c_out : 0));
    float* scratch = this->scratch(checked_mul(stride, pool_.size()));
    const int used = static_cast<int>(std::min<int64_t>(pool_.size(), s.n));
    pool_.parallel_for(s.n, [&](int t, int64_t n0, int64_t n1) {
      ConvTranspose2dShape part = s;
      part.n = n1 - n0;
      float* mine = scratch + t * stride;
      float* pdw = dw ? (t == 0 ? dw : mine + per) : nullptr;
      float* pdb = db ? (t == 0 ? db : mine + per + (dw ? wsize : 0)) : nullptr;
      fast::conv_transpose2d_backward(part, x + n0 * s.c_in * s.h * s.w, w,
                                      dy + n0 * s.c_out * s.out_h() * s.out_w(),
                                      dx ? dx + n0 * s.c_in * s.h * s.w : nullptr, pdw, pdb, mine);
    });
    for (int t = 1; t < used; ++t) {
      const float* mine = scratch + t * stride;
      if (dw) add_inplace_reference(dw, mine + per, wsize);
      if (db) add_inplace_reference(db, mine + per + (dw ? wsize : 0), s.c_out);
    }
  }
  void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                float* running_mean, float* running_var, float* y, float* save_mean,
                                float* save_invstd) override {
    pool_.parallel_for(s.c, [&](int, int64_t c0, int64_t c1) {
      fast::batch_norm_forward_train(s, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd, c0, c1);
    });
  }
  void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float* y) override {
    pool_.parallel_for(s.c, [&](int, int64_t c0, int64_t c1) {
      fast::batch_norm_forward_eval(s, x, gamma, beta, running_mean, running_var, y, c0, c1);
    });
  }
  void batch_norm_backward(const BatchNormShape& s, const float* x, const float* y, const float* gamma,
                           const float* save_mean, const float* save_invstd, const float* dy, float* dx, float* dgamma,
                           float* dbeta) override {
    pool_.parallel_for(s.c, [&](int, int64_t c0, int64_t c1) {
      fast::batch_norm_backward(s, x, y, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta, c0, c1);
    });
  }
  void batch_norm_fold(const BatchNormShape& s, const float* w, int64_t per_channel, const float* bias,
                       const float* gamma, const float* beta, const float* running_mean, const float* running_var,
                       float* w_out, float* b_out) override {
    batch_norm_fold_reference(s, w, per_channel, bias, gamma, beta, running_mean, running_var, w_out, b_out);
  }
  void relu_forward(const float* x, float* y, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { relu_forward_reference(x + b, y + b, e - b); });
  }
  void relu_backward(const float* y, const float* dy, float* dx, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { relu_backward_reference(y + b, dy + b, dx + b, e - b); });
  }
  // Pooling, concat and upsampling split over images (planes): each slice is the same op
  // on a smaller batch at an offset.
  void max_pool2x2_forward(const PoolShape& s, const float* x, float* y) override {
    s.validate();
    pool_.parallel_for(s.n, [&](int, int64_t n0, int64_t n1) {
      const PoolShape part{n1 - n0, s.c, s.h, s.w};
      max_pool2x2_forward_reference(part, x + n0 * s.c * s.h * s.w, y + n0 * s.c * s.out_h() * s.out_w());
    });
  }
  void max_pool2x2_backward(const PoolShape& s, const float* x, const float* dy, float* dx) override {
    s.validate();
    pool_.parallel_for(s.n, [&](int, int64_t n0, int64_t n1) {
      const PoolShape part{n1 - n0, s.c, s.h, s.w};
      fast::max_pool2x2_backward(part, x + n0 * s.c * s.h * s.w, dy + n0 * s.c * s.out_h() * s.out_w(),
                                 dx + n0 * s.c * s.h * s.w);
    });
  }
  // Concat splits the inputs' channel blocks (a copy each) over the threads: with batch 1, the
  // usual case in predict, a split over images would leave all but one thread idle.
  void concat_channels_forward(const ConcatShape& s, const float* const* xs, float* y) override {
    for_each_concat_part(s, [&](int64_t i, int64_t j, int64_t part, int64_t at) {
      std::copy(xs[j] + i * part, xs[j] + (i + 1) * part, y + at);
    });
  }
  void concat_channels_backward(const ConcatShape& s, const float* dy, float* const* dxs) override {
    for_each_concat_part(s, [&](int64_t i, int64_t j, int64_t part, int64_t at) {
      if (dxs[j]) std::copy(dy + at, dy + at + part, dxs[j] + i * part);
    });
  }
  void upsample2x_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w) override {
    pool_.parallel_for(planes, [&](int, int64_t p0, int64_t p1) {
      upsample2x_forward_reference(x + p0 * h * w, y + p0 * 4 * h * w, p1 - p0, h, w);
    });
  }
  void upsample2x_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) override {
    pool_.parallel_for(planes, [&](int, int64_t p0, int64_t p1) {
      upsample2x_backward_reference(dy + p0 * 4 * h * w, dx + p0 * h * w, p1 - p0, h, w);
    });
  }
  void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw) override {
    pool_.parallel_for(n, [&](int, int64_t b, int64_t e) {
      fast::softmax_channels(x + b * c * hw, y + b * c * hw, e - b, c, hw);
    });
  }
  // Bilinear resize and channel L2 normalisation (Dynamic World's ops). The resize splits planes,
  // each thread with its own row buffer in the scratch; its plans (axis weights) are made once per
  // shape and kept. L2 normalisation splits the pixels of all images.
  void resize_bilinear_forward(const ResizeShape& s, const float* x, float* y) override {
    s.validate();
    run_resize(resize_plans_.get(s, false), x, y, s.planes);
  }
  void resize_bilinear_backward(const ResizeShape& s, const float* dy, float* dx) override {
    s.validate();
    run_resize(resize_plans_.get(s, true), dy, dx, s.planes);
  }
  void run_resize(const fast::ResizePlan& p, const float* in, float* out, int64_t planes) {
    const int64_t per = lines(p.in_w);
    float* rows = scratch(checked_mul(per, pool_.size()));
    pool_.parallel_for(planes, [&](int t, int64_t p0, int64_t p1) {
      fast::resize_planes(p, in + p0 * p.in_h * p.in_w, out + p0 * p.out_h * p.out_w, p1 - p0, rows + t * per);
    });
  }
  void l2_normalize_forward(const L2NormalizeShape& s, const float* x, float* y) override {
    s.validate();
    pool_.parallel_for(s.n * s.hw, [&](int, int64_t b, int64_t e) { fast::l2_normalize_forward(s, x, y, b, e); });
  }
  void l2_normalize_backward(const L2NormalizeShape& s, const float* x, const float* dy, float* dx) override {
    s.validate();
    pool_.parallel_for(s.n * s.hw, [&](int, int64_t b, int64_t e) {
      fast::l2_normalize_backward(s, x, dy, dx, b, e);
    });
  }

 private:
  fast::ResizePlans resize_plans_;

 public:
  // Cross-entropy normalises by W, the weight of all counted pixels, so each thread runs the
  // fast path on its images (normalised by its own W_t) and the parts are rescaled by W_t / W.
  float cross_entropy(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                      const float* class_weights, float* dlogits) override {
    s.validate();
    if (pool_.size() == 1 || s.n == 1) return fast::cross_entropy(s, logits, labels, class_weights, dlogits);
    double loss_w[64][2] = {};  // per thread: loss_t * W_t, W_t
    if (pool_.size() > 64) return fast::cross_entropy(s, logits, labels, class_weights, dlogits);
    pool_.parallel_for(s.n, [&](int t, int64_t n0, int64_t n1) {
      CrossEntropyShape part = s;
      part.n = n1 - n0;
      double w = 0.0;
      const float l = fast::cross_entropy(part, logits + n0 * s.c * s.hw, labels + n0 * s.hw, class_weights,
                                          dlogits ? dlogits + n0 * s.c * s.hw : nullptr, &w);
      loss_w[t][0] = static_cast<double>(l) * w;
      loss_w[t][1] = w;
    });
    double total = 0.0, denom = 0.0;
    for (int t = 0; t < pool_.size(); ++t) total += loss_w[t][0], denom += loss_w[t][1];
    if (denom == 0.0) return 0.0f;
    if (dlogits) {
      pool_.parallel_for(s.n, [&](int t, int64_t n0, int64_t n1) {
        const float scale = static_cast<float>(loss_w[t][1] / denom);
        for (int64_t i = n0 * s.c * s.hw; i < n1 * s.c * s.hw; ++i) dlogits[i] *= scale;
      });
    }
    return static_cast<float>(total / denom);
  }
  void adam_step(const AdamHyper& h, float* param, const float* grad, float* m, float* v, int64_t count) override {
    h.validate();
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) {
      adam_step_reference(h, param + b, grad + b, m + b, v + b, e - b);
    });
  }
  void fill(float* y, float value, int64_t count) override { fill_reference(y, value, count); }
  void add_inplace(float* y, const float* x, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { add_inplace_reference(y + b, x + b, e - b); });
  }
  // Depthwise convolution, Mish, add (Dynamic World's ops). The forward splits planes (image,
  // channel); the backward splits channels, each thread summing dw and db of its own channels over
  // the batch, so no partial sums meet across threads. Mish and add split ranges.
  void depthwise_conv2d_forward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* b,
                                float* y) override {
    s.validate();
    pool_.parallel_for(checked_mul(s.n, s.c), [&](int, int64_t p0, int64_t p1) {
      fast::depthwise_conv2d_forward(s, x, w, b, y, p0, p1);
    });
  }
  void depthwise_conv2d_backward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* dy,
                                 float* dx, float* dw, float* db) override {
    s.validate();
    check(s.act == Activation::none,
          "depthwise_conv2d_backward: the activation epilogue is forward only (act must be none)");
    pool_.parallel_for(s.c, [&](int, int64_t c0, int64_t c1) {
      fast::depthwise_conv2d_backward(s, x, w, dy, dx, dw, db, c0, c1);
    });
  }
  void mish_forward(const float* x, float* y, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { fast::mish_forward(x + b, y + b, e - b); });
  }
  void mish_backward(const float* x, const float* dy, float* dx, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { fast::mish_backward(x + b, dy + b, dx + b, e - b); });
  }
  void add(const float* a, const float* b, float* y, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t i0, int64_t i1) { add_reference(a + i0, b + i0, y + i0, i1 - i0); });
  }
  // Every input batch is checked before a step: split like the elementwise ops.
  int64_t count_nonfinite(const float* x, int64_t count) override {
    std::fill(partial_counts_.begin(), partial_counts_.end(), 0);
    pool_.parallel_for(count, [&](int t, int64_t b, int64_t e) {
      partial_counts_[static_cast<size_t>(t)] = count_nonfinite_reference(x + b, e - b);
    });
    int64_t bad = 0;
    for (int64_t c : partial_counts_) bad += c;
    return bad;
  }

 private:
  // copy(i, j, part, at) for every image i and input j, over the threads: input j's block of
  // image i is `part` floats at offset `at` of the concatenation.
  template <class Copy>
  void for_each_concat_part(const ConcatShape& s, Copy copy) {
    s.validate();
    const auto k = static_cast<int64_t>(s.channels.size());
    const int64_t total = s.total();
    pool_.parallel_for(s.n * k, [&](int, int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t i = t / k, j = t % k;
        int64_t start = 0;
        for (int64_t q = 0; q < j; ++q) start += s.channels[static_cast<size_t>(q)];
        copy(i, j, s.channels[static_cast<size_t>(j)] * s.hw, (i * total + start) * s.hw);
      }
    });
  }
  // One growing scratch area shared by the convolutions: after the first step of a given
  // shape nothing is allocated. From allocate(), so 64-byte aligned: the kernels' vectors are
  // whole cache lines (a std::vector's 16-byte alignment split every load and store in two).
  float* scratch(int64_t floats) {
    const auto bytes = static_cast<size_t>(checked_mul(floats, static_cast<int64_t>(sizeof(float))));
    if (!scratch_ || scratch_->bytes() < bytes) scratch_ = std::make_unique<DeviceBuffer>(*this, bytes);
    return scratch_->as<float>();
  }
  // Per-thread parts of the scratch start on cache lines too.
  static int64_t lines(int64_t floats) { return (floats + 15) / 16 * 16; }
  fast::ThreadPool pool_;
  std::unique_ptr<DeviceBuffer> scratch_;
  std::vector<float> flipped_, flipped_grad_;  // transposed-conv weights as conv weights
  std::vector<int64_t> partial_counts_;        // count_nonfinite's, one a thread
  int64_t allocations_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) { return std::make_unique<CpuBackend>(threads); }

std::string device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  throw UsageError("unknown device '" + name + "' (expected cpu or cuda)");
}

std::string precision_name(ConvPrecision p) {
  switch (p) {
    case ConvPrecision::fp32: return "fp32";
    case ConvPrecision::tf32: return "tf32";
    case ConvPrecision::bf16: return "bf16";
  }
  return "unknown";
}

ConvPrecision parse_precision(const std::string& name) {
  for (ConvPrecision p : {ConvPrecision::fp32, ConvPrecision::tf32, ConvPrecision::bf16})
    if (name == precision_name(p)) return p;
  throw UsageError("unknown precision '" + name + "' (expected fp32, tf32 or bf16)");
}

}  // namespace strata::nn
