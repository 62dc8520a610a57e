#pragma once
// One backend interface, many backends (as in ggml): every op the network needs is a
// virtual call on device pointers. The CPU backend runs the reference or the fast CPU
// path; the CUDA backend (kernels/) runs custom kernels. tests/test_backend_ops.cpp runs
// every op on every available backend against the CPU reference.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "nn/normalize.h"
#include "nn/ops/adam.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv_transpose2d.h"
#include "nn/ops/cross_entropy.h"
#include "nn/ops/depthwise_conv2d.h"
#include "nn/ops/l2_normalize.h"
#include "nn/ops/max_pool.h"
#include "nn/ops/resize.h"

namespace strata::nn {

enum class Device { cpu, cuda };

std::string device_name(Device d);
Device parse_device(const std::string& name);  // "cpu" | "cuda"; UsageError otherwise

// The arithmetic of a backend's convolutions: fp32 throughout, or (CUDA only) inputs rounded to
// TF32 or bf16 on tensor cores with fp32 accumulation. Everything else always runs in fp32.
enum class ConvPrecision { fp32, tf32, bf16 };
std::string precision_name(ConvPrecision p);
ConvPrecision parse_precision(const std::string& name);  // "fp32" | "tf32" | "bf16"; UsageError otherwise

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;  // e.g. "cpu" or "cuda:0 (NVIDIA H100 ...)"

  // Memory the ops read and write. On the CPU these are host pointers.
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* ptr) noexcept = 0;
  virtual void upload(void* device_dst, const void* host_src, size_t bytes) = 0;
  virtual void download(void* host_dst, const void* device_src, size_t bytes) = 0;
  virtual void synchronize() = 0;
  // How many times this backend has taken memory from the system (allocate() and growth of
  // its internal scratch), or -1 where it does not count. A training step of a shape seen
  // before must leave it unchanged.
  virtual int64_t allocation_count() const { return -1; }

  // dn: [batch, bands, pixels] uint16 -> out: same shape, float. See nn/normalize.h.
  virtual void normalize_bands(const uint16_t* dn, float* out, const BandNormalization& norm,
                               int64_t batch, int64_t pixels) = 0;

  // The network's ops, NCHW float32 on device pointers. Each has its specification, the
  // CPU reference, in nn/ops/<op>.h; backward ops overwrite their outputs (never accumulate)
  // and take null for a gradient that is not wanted. A backend that lacks an op inherits
  // the default below, which throws, so a new op never breaks another backend's build.
  virtual void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
    (void)s, (void)x, (void)w, (void)b, (void)y;
    not_implemented("conv2d_forward");
  }
  virtual void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx,
                               float* dw, float* db) {
    (void)s, (void)x, (void)w, (void)dy, (void)dx, (void)dw, (void)db;
    not_implemented("conv2d_backward");
  }
  virtual void conv_transpose2d_forward(const ConvTranspose2dShape& s, const float* x, const float* w,
                                        const float* b, float* y) {
    (void)s, (void)x, (void)w, (void)b, (void)y;
    not_implemented("conv_transpose2d_forward");
  }
  virtual void conv_transpose2d_backward(const ConvTranspose2dShape& s, const float* x, const float* w,
                                         const float* dy, float* dx, float* dw, float* db) {
    (void)s, (void)x, (void)w, (void)dy, (void)dx, (void)dw, (void)db;
    not_implemented("conv_transpose2d_backward");
  }
  virtual void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma,
                                        const float* beta, float* running_mean, float* running_var, float* y,
                                        float* save_mean, float* save_invstd) {
    (void)s, (void)x, (void)gamma, (void)beta, (void)running_mean, (void)running_var, (void)y, (void)save_mean,
        (void)save_invstd;
    not_implemented("batch_norm_forward_train");
  }
  virtual void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma,
                                       const float* beta, const float* running_mean, const float* running_var,
                                       float* y) {
    (void)s, (void)x, (void)gamma, (void)beta, (void)running_mean, (void)running_var, (void)y;
    not_implemented("batch_norm_forward_eval");
  }
  virtual void batch_norm_backward(const BatchNormShape& s, const float* x, const float* y, const float* gamma,
                                   const float* save_mean, const float* save_invstd, const float* dy, float* dx,
                                   float* dgamma, float* dbeta) {
    (void)s, (void)x, (void)y, (void)gamma, (void)save_mean, (void)save_invstd, (void)dy, (void)dx, (void)dgamma,
        (void)dbeta;
    not_implemented("batch_norm_backward");
  }
  virtual void batch_norm_fold(const BatchNormShape& s, const float* w, int64_t per_channel, const float* bias,
                               const float* gamma, const float* beta, const float* running_mean,
                               const float* running_var, float* w_out, float* b_out) {
    (void)s, (void)w, (void)per_channel, (void)bias, (void)gamma, (void)beta, (void)running_mean, (void)running_var,
        (void)w_out, (void)b_out;
    not_implemented("batch_norm_fold");
  }
  virtual void depthwise_conv2d_forward(const DepthwiseConv2dShape& s, const float* x, const float* w, const float* b,
                                        float* y) {
    (void)s, (void)x, (void)w, (void)b, (void)y;
    not_implemented("depthwise_conv2d_forward");
  }
  virtual void depthwise_conv2d_backward(const DepthwiseConv2dShape& s, const float* x, const float* w,
                                         const float* dy, float* dx, float* dw, float* db) {
    (void)s, (void)x, (void)w, (void)dy, (void)dx, (void)dw, (void)db;
    not_implemented("depthwise_conv2d_backward");
  }
  // Mish forward may run in place (y == x); backward takes the forward's input and may write
  // over dy (dx == dy).
  virtual void mish_forward(const float* x, float* y, int64_t count) {
    (void)x, (void)y, (void)count;
    not_implemented("mish_forward");
  }
  virtual void mish_backward(const float* x, const float* dy, float* dx, int64_t count) {
    (void)x, (void)dy, (void)dx, (void)count;
    not_implemented("mish_backward");
  }
  virtual void resize_bilinear_forward(const ResizeShape& s, const float* x, float* y) {
    (void)s, (void)x, (void)y;
    not_implemented("resize_bilinear_forward");
  }
  virtual void resize_bilinear_backward(const ResizeShape& s, const float* dy, float* dx) {
    (void)s, (void)dy, (void)dx;
    not_implemented("resize_bilinear_backward");
  }
  virtual void l2_normalize_forward(const L2NormalizeShape& s, const float* x, float* y) {
    (void)s, (void)x, (void)y;
    not_implemented("l2_normalize_forward");
  }
  virtual void l2_normalize_backward(const L2NormalizeShape& s, const float* x, const float* dy, float* dx) {
    (void)s, (void)x, (void)dy, (void)dx;
    not_implemented("l2_normalize_backward");
  }
  virtual void relu_forward(const float* x, float* y, int64_t count) {
    (void)x, (void)y, (void)count;
    not_implemented("relu_forward");
  }
  // ReLU forward may run in place (y == x) and backward may write over its input (dx == dy).
  virtual void relu_backward(const float* y, const float* dy, float* dx, int64_t count) {
    (void)y, (void)dy, (void)dx, (void)count;
    not_implemented("relu_backward");
  }
  virtual void max_pool2x2_forward(const PoolShape& s, const float* x, float* y) {
    (void)s, (void)x, (void)y;
    not_implemented("max_pool2x2_forward");
  }
  virtual void max_pool2x2_backward(const PoolShape& s, const float* x, const float* dy, float* dx) {
    (void)s, (void)x, (void)dy, (void)dx;
    not_implemented("max_pool2x2_backward");
  }
  // xs and dxs are host arrays of s.channels.size() device pointers; a null dx is not wanted.
  virtual void concat_channels_forward(const ConcatShape& s, const float* const* xs, float* y) {
    (void)s, (void)xs, (void)y;
    not_implemented("concat_channels_forward");
  }
  virtual void concat_channels_backward(const ConcatShape& s, const float* dy, float* const* dxs) {
    (void)s, (void)dy, (void)dxs;
    not_implemented("concat_channels_backward");
  }
  virtual void upsample2x_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w) {
    (void)x, (void)y, (void)planes, (void)h, (void)w;
    not_implemented("upsample2x_forward");
  }
  virtual void upsample2x_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) {
    (void)dy, (void)dx, (void)planes, (void)h, (void)w;
    not_implemented("upsample2x_backward");
  }
  virtual void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
    (void)x, (void)y, (void)n, (void)c, (void)hw;
    not_implemented("softmax_channels");
  }
  // labels and class_weights (may be null) are device pointers; the loss is returned to the host.
  virtual float cross_entropy(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                              const float* class_weights, float* dlogits) {
    (void)s, (void)logits, (void)labels, (void)class_weights, (void)dlogits;
    not_implemented("cross_entropy");
  }
  virtual void adam_step(const AdamHyper& h, float* param, const float* grad, float* m, float* v, int64_t count) {
    (void)h, (void)param, (void)grad, (void)m, (void)v, (void)count;
    not_implemented("adam_step");
  }
  virtual void fill(float* y, float value, int64_t count) {
    (void)y, (void)value, (void)count;
    not_implemented("fill");
  }
  virtual void add_inplace(float* y, const float* x, int64_t count) {
    (void)y, (void)x, (void)count;
    not_implemented("add_inplace");
  }
  // y = a + b; y may be a or b.
  virtual void add(const float* a, const float* b, float* y, int64_t count) {
    (void)a, (void)b, (void)y, (void)count;
    not_implemented("add");
  }
  // Number of NaN / Inf values in x, returned to the host.
  virtual int64_t count_nonfinite(const float* x, int64_t count) {
    (void)x, (void)count;
    not_implemented("count_nonfinite");
  }

 protected:
  [[noreturn]] void not_implemented(const char* op) const {
    throw Error(std::string(op) + ": not implemented on the " + name() + " backend");
  }
};

// A buffer on a backend, released when it goes out of scope.
class DeviceBuffer {
 public:
  DeviceBuffer(Backend& backend, size_t bytes) : backend_(&backend), bytes_(bytes), ptr_(backend.allocate(bytes)) {}
  ~DeviceBuffer() { if (ptr_) backend_->release(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  Backend* backend_;
  size_t bytes_;
  void* ptr_;
};

// threads: how many threads the CPU ops use (the calling thread included).
std::unique_ptr<Backend> make_cpu_backend(int threads = 1);

}  // namespace strata::nn
