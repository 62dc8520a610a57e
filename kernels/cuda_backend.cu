#include "kernels/cuda_backend.h"

#include <string>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/normalize_bands.cuh"

#ifdef STRATA_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace strata::cuda {

void throw_cuda_error(cudaError_t err, const char* statement, const char* file, int line) {
  throw Error(std::string("CUDA call failed: ") + statement + " at " + file + ":" + std::to_string(line) + ": " +
              cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
}

namespace {

std::string describe(int index) {
  cudaDeviceProp p{};
  STRATA_CUDA_CHECK(cudaGetDeviceProperties(&p, index));
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f GiB", static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " + mem;
}

class CudaBackend final : public nn::Backend {
 public:
  explicit CudaBackend(int index) : index_(index) {
    STRATA_CUDA_CHECK(cudaSetDevice(index_));
    STRATA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    description_ = describe(index_);
  }
  ~CudaBackend() override { cudaStreamDestroy(stream_); }

  nn::Device device() const override { return nn::Device::cuda; }
  std::string name() const override { return "cuda:" + std::to_string(index_) + " (" + description_ + ")"; }

  void* allocate(size_t bytes) override {
    void* p = nullptr;
    STRATA_CUDA_CHECK(cudaMalloc(&p, bytes == 0 ? 1 : bytes));
    return p;
  }
  void release(void* ptr) noexcept override { cudaFree(ptr); }
  void upload(void* dst, const void* src, size_t bytes) override {
    STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
    STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void download(void* dst, const void* src, size_t bytes) override {
    STRATA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void synchronize() override { STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  void normalize_bands(const uint16_t* dn, float* out, const nn::BandNormalization& norm, int64_t batch,
                       int64_t pixels) override {
    norm.validate();
    const int64_t bands = norm.bands();
    std::vector<float> params(norm.a);
    params.insert(params.end(), norm.b.begin(), norm.b.end());
    nn::DeviceBuffer d_params(*this, params.size() * sizeof(float));
    upload(d_params.as<void>(), params.data(), d_params.bytes());
    cuda::normalize_bands(dn, out, norm.mode, d_params.as<float>(), batch, bands, pixels, stream_);
    synchronize();  // d_params dies at scope end
  }

 private:
  int index_;
  cudaStream_t stream_{};
  std::string description_;
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

std::unique_ptr<nn::Backend> make_cuda_backend(int index) {
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
  return std::make_unique<CudaBackend>(index);
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
