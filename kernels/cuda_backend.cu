#include "kernels/cuda_backend.h"

#include <cstdio>
#include <string>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/device_arena.h"
#include "kernels/ops.cuh"

#ifdef STRATA_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace strata::cuda {

void throw_cuda_error(cudaError_t err, const char* statement, const char* file, int line) {
  std::string message = "CUDA call failed: ";
  message += statement;
  message += " at ";
  message += file;
  message += ":";
  message += std::to_string(line);
  message += ": ";
  message += cudaGetErrorName(err);
  message += ": ";
  throw Error(message += cudaGetErrorString(err));
}

namespace {

std::string describe(int index) {
  cudaDeviceProp p{};
  STRATA_CUDA_CHECK(cudaGetDeviceProperties(&p, index));
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f GiB", static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " + mem;
}

// Every op validates its shape as the CPU reference does (same errors), then queues its
// kernels on the backend's one stream. Only ops that return a value to the host (cross-entropy,
// the non-finite count) and the copies synchronise.
class CudaBackend final : public nn::Backend, private Workspace {
 public:
  CudaBackend(int index, nn::ConvPrecision precision) : index_(index), precision_(precision) {
    STRATA_CUDA_CHECK(cudaSetDevice(index_));
    STRATA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    STRATA_CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, index_));
    description_ = describe(index_);
  }
  ~CudaBackend() override {
    // Queued work may still use arena memory; finish it before the arena frees everything.
    (void)cudaStreamSynchronize(stream_);
    (void)cudaStreamDestroy(stream_);
  }

  nn::Device device() const override { return nn::Device::cuda; }
  std::string name() const override {
    std::string n = "cuda:" + std::to_string(index_) + " (" + description_;
    if (precision_ != nn::ConvPrecision::fp32) n += "; " + nn::precision_name(precision_) + " convolutions";
    return n + ")";
  }

  void* allocate(size_t bytes) override { return arena_.allocate(bytes); }
  void release(void* ptr) noexcept override { arena_.release(ptr); }
  void upload(void* dst, const void* src, size_t bytes) override {
    STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
    STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void download(void* dst, const void* src, size_t bytes) override {
    STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void synchronize() override { STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_)); }
  int64_t allocation_count() const override { return arena_.allocation_count(); }

  void normalize_bands(const uint16_t* dn, float* out, const nn::BandNormalization& norm, int64_t batch,
                       int64_t pixels) override {
    norm.validate();
    std::vector<float> params(norm.a);
    params.insert(params.end(), norm.b.begin(), norm.b.end());
    // The parameters stay on the device: a model normalises every batch with the same ones, so
    // only a change costs an upload (which synchronises). The copy is stream-ordered after the
    // kernels still reading the old values.
    if (params != norm_params_) {
      const size_t bytes = params.size() * sizeof(float);
      if (bytes > norm_params_bytes_) {
        arena_.release(norm_params_device_);
        norm_params_device_ = nullptr;
        norm_params_bytes_ = 0;
        norm_params_device_ = arena_.allocate(bytes);
        norm_params_bytes_ = bytes;
      }
      norm_params_.clear();  // stale until the upload succeeded
      upload(norm_params_device_, params.data(), bytes);
      norm_params_ = std::move(params);
    }
    cuda::normalize_bands(ctx(), dn, out, norm.mode, static_cast<const float*>(norm_params_device_), batch,
                          norm.bands(), pixels);
  }

  // The activation epilogue (Conv2dShape::act, DepthwiseConv2dShape::act) runs as the elementwise
  // kernel over the output after the convolution: correct, but a second pass over memory. The
  // target for the GPU issue is the fused epilogue, conv -> folded batch norm -> Mish in one kernel
  // (applied to the accumulators before the store), docs/cuda.md.
  void activate(nn::Activation act, float* y, int64_t count) {
    switch (act) {
      case nn::Activation::none: break;
      case nn::Activation::relu: cuda::relu_forward(ctx(), y, y, count); break;
      case nn::Activation::mish: cuda::mish_forward(ctx(), y, y, count); break;
    }
  }
  void conv2d_forward(const nn::Conv2dShape& s, const float* x, const float* w, const float* b, float* y) override {
    s.validate();
    cuda::conv2d_forward(ctx(), s, x, w, b, y);
    activate(s.act, y, s.output_size());
  }
  void conv2d_backward(const nn::Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx,
                       float* dw, float* db) override {
    s.validate();
    check(s.act == nn::Activation::none,
          "conv2d_backward: the activation epilogue is forward only (act must be none)");
    cuda::conv2d_backward(ctx(), s, x, w, dy, dx, dw, db);
  }
  void conv_transpose2d_forward(const nn::ConvTranspose2dShape& s, const float* x, const float* w, const float* b,
                                float* y) override {
    s.validate();
    cuda::conv_transpose2d_forward(ctx(), s, x, w, b, y);
  }
  void conv_transpose2d_backward(const nn::ConvTranspose2dShape& s, const float* x, const float* w, const float* dy,
                                 float* dx, float* dw, float* db) override {
    s.validate();
    cuda::conv_transpose2d_backward(ctx(), s, x, w, dy, dx, dw, db);
  }
  void batch_norm_forward_train(const nn::BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                                float* running_mean, float* running_var, float* y, float* save_mean,
                                float* save_invstd) override {
    s.validate();
    cuda::batch_norm_forward_train(ctx(), s, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd);
  }
  void batch_norm_forward_eval(const nn::BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                               const float* running_mean, const float* running_var, float* y) override {
    s.validate();
    cuda::batch_norm_forward_eval(ctx(), s, x, gamma, beta, running_mean, running_var, y);
  }
  void batch_norm_backward(const nn::BatchNormShape& s, const float* x, const float* y, const float* gamma,
                           const float* save_mean, const float* save_invstd, const float* dy, float* dx, float* dgamma,
                           float* dbeta) override {
    s.validate();
    cuda::batch_norm_backward(ctx(), s, x, y, gamma, save_mean, save_invstd, dy, dx, dgamma, dbeta);
  }
  void batch_norm_fold(const nn::BatchNormShape& s, const float* w, int64_t per_channel, const float* bias,
                       const float* gamma, const float* beta, const float* running_mean, const float* running_var,
                       float* w_out, float* b_out) override {
    check(s.c > 0 && per_channel > 0 && s.eps > 0.0f, "batch_norm_fold: need channels, weights and eps > 0");
    cuda::batch_norm_fold(ctx(), s, w, per_channel, bias, gamma, beta, running_mean, running_var, w_out, b_out);
  }
  void relu_forward(const float* x, float* y, int64_t count) override { cuda::relu_forward(ctx(), x, y, count); }
  void relu_backward(const float* y, const float* dy, float* dx, int64_t count) override {
    cuda::relu_backward(ctx(), y, dy, dx, count);
  }
  void max_pool2x2_forward(const nn::PoolShape& s, const float* x, float* y) override {
    s.validate();
    cuda::max_pool2x2_forward(ctx(), s, x, y);
  }
  void max_pool2x2_backward(const nn::PoolShape& s, const float* x, const float* dy, float* dx) override {
    s.validate();
    cuda::max_pool2x2_backward(ctx(), s, x, dy, dx);
  }
  void concat_channels_forward(const nn::ConcatShape& s, const float* const* xs, float* y) override {
    s.validate();
    cuda::concat_channels_forward(ctx(), s, xs, y);
  }
  void concat_channels_backward(const nn::ConcatShape& s, const float* dy, float* const* dxs) override {
    s.validate();
    cuda::concat_channels_backward(ctx(), s, dy, dxs);
  }
  void upsample2x_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w) override {
    cuda::upsample2x_forward(ctx(), x, y, planes, h, w);
  }
  void upsample2x_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) override {
    cuda::upsample2x_backward(ctx(), dy, dx, planes, h, w);
  }
  void softmax_channels(const float* x, float* y, int64_t n, int64_t c, int64_t hw) override {
    cuda::softmax_channels(ctx(), x, y, n, c, hw);
  }
  void resize_bilinear_forward(const nn::ResizeShape& s, const float* x, float* y) override {
    s.validate();
    cuda::resize_bilinear_forward(ctx(), s, x, y);
  }
  void resize_bilinear_backward(const nn::ResizeShape& s, const float* dy, float* dx) override {
    s.validate();
    cuda::resize_bilinear_backward(ctx(), s, dy, dx);
  }
  void l2_normalize_forward(const nn::L2NormalizeShape& s, const float* x, float* y) override {
    s.validate();
    cuda::l2_normalize_forward(ctx(), s, x, y);
  }
  void l2_normalize_backward(const nn::L2NormalizeShape& s, const float* x, const float* dy, float* dx) override {
    s.validate();
    cuda::l2_normalize_backward(ctx(), s, x, dy, dx);
  }
  float cross_entropy(const nn::CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                      const float* class_weights, float* dlogits) override {
    s.validate();
    return cuda::cross_entropy(ctx(), s, logits, labels, class_weights, dlogits);
  }
  void adam_step(const nn::AdamHyper& h, float* param, const float* grad, float* m, float* v,
                 int64_t count) override {
    h.validate();
    cuda::adam_step(ctx(), h, param, grad, m, v, count);
  }
  void fill(float* y, float value, int64_t count) override { cuda::fill(ctx(), y, value, count); }
  void add_inplace(float* y, const float* x, int64_t count) override { cuda::add_inplace(ctx(), y, x, count); }
  void depthwise_conv2d_forward(const nn::DepthwiseConv2dShape& s, const float* x, const float* w, const float* b,
                                float* y) override {
    s.validate();
    cuda::depthwise_conv2d_forward(ctx(), s, x, w, b, y);
    activate(s.act, y, s.size());
  }
  void depthwise_conv2d_backward(const nn::DepthwiseConv2dShape& s, const float* x, const float* w, const float* dy,
                                 float* dx, float* dw, float* db) override {
    s.validate();
    check(s.act == nn::Activation::none,
          "depthwise_conv2d_backward: the activation epilogue is forward only (act must be none)");
    cuda::depthwise_conv2d_backward(ctx(), s, x, w, dy, dx, dw, db);
  }
  void mish_forward(const float* x, float* y, int64_t count) override { cuda::mish_forward(ctx(), x, y, count); }
  void mish_backward(const float* x, const float* dy, float* dx, int64_t count) override {
    cuda::mish_backward(ctx(), x, dy, dx, count);
  }
  void add(const float* a, const float* b, float* y, int64_t count) override { cuda::add(ctx(), a, b, y, count); }
  int64_t count_nonfinite(const float* x, int64_t count) override { return cuda::count_nonfinite(ctx(), x, count); }

 private:
  Launch ctx() { return {stream_, sm_count_, precision_, this}; }
  // Workspace: one grow-only block from the arena for the ops' partial sums and split products.
  void* scratch(size_t bytes) override {
    if (bytes > scratch_bytes_) {
      arena_.release(scratch_);  // queued users of the old block run first: stream order
      scratch_ = nullptr;
      scratch_bytes_ = 0;  // if allocate() throws, no later call may take the released block's size
      scratch_ = arena_.allocate(bytes);
      scratch_bytes_ = bytes;
    }
    return scratch_;
  }

  int index_;
  nn::ConvPrecision precision_;
  DeviceArena arena_;  // declared before the stream: destroyed after it
  cudaStream_t stream_{};
  int sm_count_ = 1;
  std::string description_;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  std::vector<float> norm_params_;  // what norm_params_device_ holds: a, then b
  void* norm_params_device_ = nullptr;
  size_t norm_params_bytes_ = 0;
};

}  // namespace

std::vector<DeviceDescription> list_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the sticky error, report none
    return {};
  }
  std::vector<DeviceDescription> out;
  for (int i = 0; i < count; ++i) out.push_back({i, describe(i)});
  return out;
}

std::string device_problem() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
  }
  return count == 0 ? "cudaGetDeviceCount found no GPU" : "";
}

std::unique_ptr<nn::Backend> make_cuda_backend(int index, nn::ConvPrecision precision) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw Error(std::string("--device cuda: no usable CUDA device (") +
                (err != cudaSuccess ? cudaGetErrorString(err) : "no GPU found") + ")");
  }
  if (index < 0 || index >= count)
    throw Error("--device cuda: device index " + std::to_string(index) + " out of range (" + std::to_string(count) +
                " device(s))");
  return std::make_unique<CudaBackend>(index, precision);
}

std::string runtime_version_string() {
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  const bool have_driver = cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0;
  auto fmt = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
  return "runtime " + fmt(runtime) + ", driver " + (have_driver ? fmt(driver) : std::string("none"));
}

std::string cudnn_version_string() {
#ifdef STRATA_HAVE_CUDNN
  const size_t v = cudnnGetVersion();
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
#else
  return "not found";
#endif
}

}  // namespace strata::cuda
