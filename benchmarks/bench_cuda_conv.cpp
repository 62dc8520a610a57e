// The CUDA backend against cuDNN, measured in the same run on the same GPU:
//  1. per convolution layer of unet-small and sample-fcn (batch 16, 128 x 128 input): our
//     forward against cudnnConvolutionForward with the fastest algorithm that
//     cudnnFindConvolutionForwardAlgorithm reports, in the same precision (fp32: no tensor cores
//     on either side; tf32: float data, tensor-op math; bf16: cuDNN gets bf16 tensors, ours
//     converts float on the fly and writes float), in GFLOP/s (2 x MACs / s) and as a ratio;
//     the two outputs are also compared (max |ours - cuDNN| / max |cuDNN|), so a fast wrong kernel
//     shows;
//  2. end to end on the CUDA backend: inference (Predictor) and training (Trainer::step) px/s
//     of unet-small, sample-fcn and Dynamic World's graph, per precision.
// Timings: wall clock around `reps` calls, the stream synchronised before and after, after
// two untimed warm-up calls; each figure repeats until at least --seconds have passed.
//
// usage: bench_cuda_conv [--precision fp32|tf32|bf16|all] [--batch N] [--seconds S]
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/cuda_backend.h"
#include "kernels/cuda_check.h"
#include "nn/model.h"
#include "nn/trainer.h"

namespace strata {
namespace {

#define CUDNN_CHECK(stmt)                                                                    \
  do {                                                                                       \
    const cudnnStatus_t status_ = (stmt);                                                    \
    if (status_ != CUDNN_STATUS_SUCCESS)                                                     \
      throw Error(std::string("cuDNN call failed: ") + #stmt + " at " + where() + ": " +     \
                  cudnnGetErrorString(status_));                                             \
  } while (0)

struct Options {
  std::vector<nn::ConvPrecision> precisions{nn::ConvPrecision::fp32, nn::ConvPrecision::tf32,
                                            nn::ConvPrecision::bf16};
  int64_t batch = 16, size = 128;
  double seconds = 0.5;
};

// Seconds per call of f, averaged over enough calls to last `seconds`; sync waits for the GPU.
double time_per_call(const std::function<void()>& f, const std::function<void()>& sync, double seconds) {
  f(), f(), sync();
  int64_t reps = 1;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < reps; ++i) f();
    sync();
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (t >= seconds || reps >= (int64_t{1} << 20)) return t / static_cast<double>(reps);
    reps = std::max(reps * 2, static_cast<int64_t>(static_cast<double>(reps) * seconds / std::max(t, 1e-6)));
  }
}

std::vector<float> randoms(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// float -> bf16 bits, round to nearest even (finite inputs).
uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
float from_bf16(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

class DeviceMemory {
 public:
  explicit DeviceMemory(size_t bytes) { STRATA_CUDA_CHECK(cudaMalloc(&p_, std::max<size_t>(bytes, 1))); }
  ~DeviceMemory() { (void)cudaFree(p_); }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

struct Layer {
  const char* name;
  int64_t c_in, size, c_out, k, stride;
};

// Every convolution of both models at the benchmark's input size (size = the input's side;
// each layer's side is the input's divided by its scale). sample-fcn's 5x5 transposed conv is
// timed as the equivalent stride-1 convolution (same shape, same FLOPs), which is also how the
// CPU backend runs it.
std::vector<Layer> layers(int64_t s) {
  return {{"unet enc0.conv1", 13, s, 32, 3, 1},      {"unet enc0.conv2", 32, s, 32, 3, 1},
          {"unet enc1.conv1", 32, s / 2, 64, 3, 1},  {"unet enc1.conv2", 64, s / 2, 64, 3, 1},
          {"unet enc2.conv1", 64, s / 4, 128, 3, 1}, {"unet enc2.conv2", 128, s / 4, 128, 3, 1},
          {"unet dec1.conv1", 128, s / 2, 64, 3, 1}, {"unet dec1.conv2", 64, s / 2, 64, 3, 1},
          {"unet dec0.conv1", 64, s, 32, 3, 1},      {"unet dec0.conv2", 32, s, 32, 3, 1},
          {"unet head", 32, s, 9, 1, 1},             {"fcn conv1", 13, s, 32, 5, 1},
          {"fcn deconv (as conv)", 32, s, 16, 5, 1}, {"fcn head", 16, s, 9, 1, 1}};
}

struct CudnnConv {
  cudnnHandle_t handle{};
  cudnnTensorDescriptor_t x{}, y{};
  cudnnFilterDescriptor_t w{};
  cudnnConvolutionDescriptor_t conv{};
  CudnnConv() {
    CUDNN_CHECK(cudnnCreate(&handle));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
  }
  ~CudnnConv() {
    (void)cudnnDestroyConvolutionDescriptor(conv);
    (void)cudnnDestroyFilterDescriptor(w);
    (void)cudnnDestroyTensorDescriptor(y);
    (void)cudnnDestroyTensorDescriptor(x);
    (void)cudnnDestroy(handle);
  }
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;
};

const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
    default: return "other";
  }
}

void bench_layer(const Layer& l, nn::ConvPrecision precision, const Options& o, nn::Backend& be) {
  const nn::Conv2dShape s{o.batch, l.c_in, l.size, l.size, l.c_out, l.k, l.stride};
  s.validate();
  const double flops = 2.0 * static_cast<double>(s.output_size()) * static_cast<double>(s.c_in * s.k * s.k);
  const std::vector<float> hx = randoms(static_cast<size_t>(s.input_size()), 1),
                           hw = randoms(static_cast<size_t>(s.weight_size()), 2);

  // Ours, through the backend as the network calls it (no bias, like cuDNN's plain forward).
  nn::DeviceBuffer x(be, hx.size() * 4), w(be, hw.size() * 4), y(be, static_cast<size_t>(s.output_size()) * 4);
  be.upload(x.as<void>(), hx.data(), x.bytes());
  be.upload(w.as<void>(), hw.data(), w.bytes());
  const double ours = time_per_call([&] { be.conv2d_forward(s, x.as<float>(), w.as<float>(), nullptr, y.as<float>()); },
                                    [&] { be.synchronize(); }, o.seconds);
  std::vector<float> y_ours(static_cast<size_t>(s.output_size()));
  be.download(y_ours.data(), y.as<void>(), y_ours.size() * 4);

  // cuDNN, same shape and precision.
  const bool bf16 = precision == nn::ConvPrecision::bf16;
  const cudnnDataType_t type = bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
  const size_t elem = bf16 ? 2 : 4;
  CudnnConv c;
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(c.x, CUDNN_TENSOR_NCHW, type, int(s.n), int(s.c_in), int(s.h), int(s.w)));
  CUDNN_CHECK(cudnnSetFilter4dDescriptor(c.w, type, CUDNN_TENSOR_NCHW, int(s.c_out), int(s.c_in), int(s.k), int(s.k)));
  CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c.conv, int(s.pad()), int(s.pad()), int(s.stride), int(s.stride), 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  CUDNN_CHECK(cudnnSetConvolutionMathType(
      c.conv, precision == nn::ConvPrecision::fp32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(c.y, CUDNN_TENSOR_NCHW, type, int(s.n), int(s.c_out), int(s.out_h()),
                                         int(s.out_w())));
  DeviceMemory dx(hx.size() * elem), dw(hw.size() * elem), dy(static_cast<size_t>(s.output_size()) * elem);
  if (bf16) {
    std::vector<uint16_t> bx(hx.size()), bw(hw.size());
    std::transform(hx.begin(), hx.end(), bx.begin(), to_bf16);
    std::transform(hw.begin(), hw.end(), bw.begin(), to_bf16);
    STRATA_CUDA_CHECK(cudaMemcpy(dx.get(), bx.data(), bx.size() * 2, cudaMemcpyHostToDevice));
    STRATA_CUDA_CHECK(cudaMemcpy(dw.get(), bw.data(), bw.size() * 2, cudaMemcpyHostToDevice));
  } else {
    STRATA_CUDA_CHECK(cudaMemcpy(dx.get(), hx.data(), hx.size() * 4, cudaMemcpyHostToDevice));
    STRATA_CUDA_CHECK(cudaMemcpy(dw.get(), hw.data(), hw.size() * 4, cudaMemcpyHostToDevice));
  }
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int found = 0;
  CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(c.handle, c.x, c.w, c.conv, c.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                   &found, perf));
  const auto best = std::find_if(perf, perf + found, [](const auto& p) { return p.status == CUDNN_STATUS_SUCCESS; });
  if (best == perf + found) throw Error(std::string("cuDNN has no forward algorithm for ") + l.name);
  CUDNN_CHECK(cudnnSetConvolutionMathType(c.conv, best->mathType));
  DeviceMemory workspace(best->memory);
  const float one = 1.0f, zero = 0.0f;
  const double theirs = time_per_call(
      [&] {
        CUDNN_CHECK(cudnnConvolutionForward(c.handle, &one, c.x, dx.get(), c.w, dw.get(), c.conv, best->algo,
                                            workspace.get(), best->memory, &zero, c.y, dy.get()));
      },
      [] { STRATA_CUDA_CHECK(cudaDeviceSynchronize()); }, o.seconds);

  std::vector<float> y_theirs(y_ours.size());
  if (bf16) {
    std::vector<uint16_t> b(y_ours.size());
    STRATA_CUDA_CHECK(cudaMemcpy(b.data(), dy.get(), b.size() * 2, cudaMemcpyDeviceToHost));
    std::transform(b.begin(), b.end(), y_theirs.begin(), from_bf16);
  } else {
    STRATA_CUDA_CHECK(cudaMemcpy(y_theirs.data(), dy.get(), y_theirs.size() * 4, cudaMemcpyDeviceToHost));
  }
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < y_ours.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(y_ours[i]) - y_theirs[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(y_theirs[i])));
  }
  std::printf("%-22s %4s %4ld->%-4ld %4ldx%-4ld k%ld  %9.0f %9.0f  %5.2f  %-22s %.1e\n", l.name,
              nn::precision_name(precision).c_str(), static_cast<long>(s.c_in), static_cast<long>(s.c_out),
              static_cast<long>(s.h), static_cast<long>(s.w), static_cast<long>(s.k), flops / ours * 1e-9,
              flops / theirs * 1e-9, theirs / ours, algo_name(best->algo), diff / std::max(scale, 1e-30));
}

void bench_model(const nn::ModelConfig& config, nn::ConvPrecision precision, const Options& o) {
  auto be = cuda::make_cuda_backend(0, precision);
  auto model = nn::make_model(*be, config, 1);
  const int64_t n = o.batch, hw = o.size, pixels = n * hw * hw;
  const std::vector<float> hx = randoms(static_cast<size_t>(n * config.in_bands * hw * hw), 1);
  std::vector<uint8_t> hl(static_cast<size_t>(pixels));
  for (size_t i = 0; i < hl.size(); ++i) hl[i] = static_cast<uint8_t>(i * 7 % static_cast<size_t>(config.classes));
  nn::DeviceBuffer x(*be, hx.size() * 4), labels(*be, hl.size());
  be->upload(x.as<void>(), hx.data(), x.bytes());
  be->upload(labels.as<void>(), hl.data(), labels.bytes());
  nn::Trainer trainer(*model, nn::AdamConfig{}, nn::LrSchedule{1e-4f, 0.0f, 0, 1000000}, {});
  nn::Predictor predict(*model);
  const auto sync = [&] { be->synchronize(); };
  const double infer = time_per_call([&] { predict.probabilities(x.as<float>(), n, hw, hw); }, sync, o.seconds);
  const double train =
      time_per_call([&] { trainer.step(x.as<float>(), labels.as<uint8_t>(), n, hw, hw); }, sync, o.seconds);
  const std::string name = config.arch == "graph" ? "dynamic-world" : config.arch;
  std::printf("%-13s %4s  inference %10.3e px/s  training %10.3e px/s  (batch %ld, %ldx%ld)\n", name.c_str(),
              nn::precision_name(precision).c_str(), static_cast<double>(pixels) / infer,
              static_cast<double>(pixels) / train, static_cast<long>(n), static_cast<long>(hw),
              static_cast<long>(hw));
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw UsageError("bench_cuda_conv: " + a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--precision")
      o.precisions = v == "all" ? o.precisions : std::vector<nn::ConvPrecision>{nn::parse_precision(v)};
    else if (a == "--batch")
      o.batch = std::stol(v);
    else if (a == "--size")
      o.size = std::stol(v);
    else if (a == "--seconds")
      o.seconds = std::stod(v);
    else
      throw UsageError("bench_cuda_conv: unknown option " + a +
                       " (--precision fp32|tf32|bf16|all, --batch N, --size N, --seconds S)");
  }
  if (o.batch < 1 || o.size < 4 || o.size % 4 != 0 || !(o.seconds > 0.0))
    throw UsageError("bench_cuda_conv: need --batch >= 1, --size a multiple of 4, --seconds > 0");
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const auto devices = cuda::list_devices();
  if (devices.empty()) throw Error("no CUDA device (" + cuda::runtime_version_string() + ")");
  std::printf("device %s; CUDA %s; cuDNN %s\n\n", devices[0].description.c_str(), cuda::runtime_version_string().c_str(),
              cuda::cudnn_version_string().c_str());
  std::printf("%-22s %4s %10s %9s %4s  %9s %9s  %5s  %-22s %s\n", "layer", "prec", "channels", "size", "k",
              "ours GF/s", "cuDNN GF/s", "ratio", "cuDNN algorithm", "max|diff|/max|y|");
  for (nn::ConvPrecision p : o.precisions) {
    auto be = cuda::make_cuda_backend(0, p);
    for (const Layer& l : layers(o.size)) bench_layer(l, p, o, *be);
  }
  std::printf("\n");
  for (nn::ConvPrecision p : o.precisions)
    for (const nn::ModelConfig& c : {nn::unet_small_config(), nn::sample_fcn_config(), nn::dynamic_world_config()})
      bench_model(c, p, o);
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  try {
    return strata::run(argc, argv);
  } catch (const strata::UsageError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda_conv: error: %s\n", e.what());
    return 1;
  }
}
