#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/checked.h"
#include "core/error.h"
#include "nn/backend.h"
#include "nn/fast/batch_norm.h"
#include "nn/fast/conv_gemm.h"
#include "nn/fast/gemm.h"
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
  explicit CpuBackend(int threads) : pool_(threads) {
    // The pool splits work across threads; a BLAS that threads too would oversubscribe.
    if (threads > 1) fast::set_blas_threads(1);
  }
  Device device() const override { return Device::cpu; }
  std::string name() const override { return "cpu"; }

  void* allocate(size_t bytes) override {
    // 64-byte alignment for AVX-512 loads; round up as aligned_alloc requires.
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0));
    if (!p) throw std::bad_alloc();
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
    const int64_t per = fast::conv2d_scratch_floats(s), wsize = s.weight_size();
    const int64_t stride = per + (dw ? wsize : 0) + (db ? s.c_out : 0);
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
  void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                                float* y) override {
    s.validate();
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
    const int64_t per = fast::conv_transpose2d_scratch_floats(s), wsize = s.weight_size();
    const int64_t stride = per + (dw ? wsize : 0) + (db ? s.c_out : 0);
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
  void batch_norm_backward(const BatchNormShape& s, const float* x, const float* gamma, const float* save_mean,
                           const float* save_invstd, const float* dy, float* dx, float* dgamma,
                           float* dbeta) override {
    pool_.parallel_for(s.c, [&](int, int64_t c0, int64_t c1) {
      fast::batch_norm_backward(s, x, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta, c0, c1);
    });
  }
  void batch_norm_fold(const BatchNormShape& s, const float* w, int64_t per_channel, const float* gamma,
                       const float* beta, const float* running_mean, const float* running_var, float* w_out,
                       float* b_out) override {
    batch_norm_fold_reference(s, w, per_channel, gamma, beta, running_mean, running_var, w_out, b_out);
  }
  void relu_forward(const float* x, float* y, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { relu_forward_reference(x + b, y + b, e - b); });
  }
  void relu_backward(const float* y, const float* dy, float* dx, int64_t count) override {
    pool_.parallel_for(count, [&](int, int64_t b, int64_t e) { relu_backward_reference(y + b, dy + b, dx + b, e - b); });
  }
  void max_pool2x2_forward(const PoolShape& s, const float* x, float* y) override {
    max_pool2x2_forward_reference(s, x, y);
  }
  void max_pool2x2_backward(const PoolShape& s, const float* x, const float* dy, float* dx) override {
    max_pool2x2_backward_reference(s, x, dy, dx);
  }
  void concat_channels_forward(const float* a, const float* b, float* y, int64_t n, int64_t ca, int64_t cb,
                               int64_t hw) override {
    concat_channels_forward_reference(a, b, y, n, ca, cb, hw);
  }
  void concat_channels_backward(const float* dy, float* da, float* db, int64_t n, int64_t ca, int64_t cb,
                                int64_t hw) override {
    concat_channels_backward_reference(dy, da, db, n, ca, cb, hw);
  }
  void upsample2x_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w) override {
    upsample2x_forward_reference(x, y, planes, h, w);
  }
  void upsample2x_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) override {
    upsample2x_backward_reference(dy, dx, planes, h, w);
  }
  void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw) override {
    pool_.parallel_for(n, [&](int, int64_t b, int64_t e) {
      softmax_channels_reference(x + b * c * hw, y + b * c * hw, e - b, c, hw);
    });
  }
  float cross_entropy(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                      const float* class_weights, float* dlogits) override {
    return cross_entropy_reference(s, logits, labels, class_weights, dlogits);
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
  int64_t count_nonfinite(const float* x, int64_t count) override { return count_nonfinite_reference(x, count); }

 private:
  // One growing scratch area shared by the convolutions: after the first step of a given
  // shape nothing is allocated.
  float* scratch(int64_t floats) {
    if (static_cast<size_t>(floats) > scratch_.size()) {
      scratch_.resize(static_cast<size_t>(floats));
      ++allocations_;
    }
    return scratch_.data();
  }
  fast::ThreadPool pool_;
  std::vector<float> scratch_;
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

}  // namespace strata::nn
