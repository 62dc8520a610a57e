// Per-op and per-model timings of the CPU backend. Convolutions report GFLOP/s (2 x MACs;
// compare with build/benchmarks/fma_peak),
// models report megapixels per second at the setting: batch 16, 128 x 128, 13 bands
// (Dynamic World's graph: batch 1 and 8 of 256 x 256, 9 bands, and training at batch 16 of 128).
// Threads: --threads=N is not a Google Benchmark flag, so the count comes from
// STRATA_THREADS (default 1): the CPU backend's pool size; the BLAS stays single-threaded.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "nn/backend.h"
#include "nn/fast/gemm.h"
#include "nn/model.h"
#include "nn/ops/depthwise_conv2d.h"
#include "nn/ops/mish.h"
#include "nn/trainer.h"

namespace strata::nn {
namespace {

int threads() {
  const char* t = std::getenv("STRATA_THREADS");
  return t ? std::max(1, std::atoi(t)) : 1;
}

// A field of /proc/self/status in KiB (VmRSS, VmHWM), or -1 where there is none.
int64_t status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  return -1;
}

// Resets the peak resident set (VmHWM) to the current one (Linux's clear_refs "5"), so that a
// benchmark's peak is its own and not that of an earlier run in the process.
bool reset_peak_rss() { return static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5"); }

std::vector<float> randoms(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

// args: batch, c_in, size, c_out, k, stride
void BM_Conv2dForward(benchmark::State& state) {
  const Conv2dShape s{state.range(0), state.range(1), state.range(2), state.range(2), state.range(3), state.range(4),
                      state.range(5)};
  auto be = make_cpu_backend(threads());
  const auto x = randoms(s.input_size(), 1), w = randoms(s.weight_size(), 2), b = randoms(s.c_out, 3);
  std::vector<float> y(static_cast<size_t>(s.output_size()));
  be->conv2d_forward(s, x.data(), w.data(), b.data(), y.data());  // warm: scratch and pages
  for (auto _ : state) {
    be->conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * static_cast<double>(s.output_size()) * static_cast<double>(s.c_in * s.k * s.k);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Conv2dBackward(benchmark::State& state) {
  const Conv2dShape s{state.range(0), state.range(1), state.range(2), state.range(2), state.range(3), state.range(4),
                      state.range(5)};
  auto be = make_cpu_backend(threads());
  const auto x = randoms(s.input_size(), 1), w = randoms(s.weight_size(), 2), dy = randoms(s.output_size(), 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(static_cast<size_t>(s.c_out));
  be->conv2d_backward(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
  for (auto _ : state) {
    be->conv2d_backward(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    benchmark::DoNotOptimize(dx.data());
  }
  const double flops = 4.0 * static_cast<double>(s.output_size()) * static_cast<double>(s.c_in * s.k * s.k);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The convolutions of unet-small and sample-fcn at batch 16, 128 x 128.
void conv_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "cin", "hw", "cout", "k", "s"});
  b->Args({16, 13, 128, 32, 3, 1})->Args({16, 32, 128, 32, 3, 1})->Args({16, 32, 64, 64, 3, 1});
  b->Args({16, 64, 64, 64, 3, 1})->Args({16, 64, 32, 128, 3, 1})->Args({16, 128, 32, 128, 3, 1});
  b->Args({16, 128, 64, 64, 3, 1})->Args({16, 64, 128, 32, 3, 1})->Args({16, 32, 128, 9, 1, 1});
  b->Args({16, 13, 128, 32, 5, 1});
  // Rates over the benchmark thread's CPU time: steady on a shared machine, and exact for
  // the default single thread (with STRATA_THREADS > 1 use the wall-clock model figures).
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_Conv2dForward)->Apply(conv_shapes);
BENCHMARK(BM_Conv2dBackward)->Apply(conv_shapes);

// Bilinear resize and channel L2 normalisation (Dynamic World's ops): the reference (fast = 0)
// against the CPU backend's fast path (fast = 1, STRATA_THREADS threads). GB/s counts the bytes
// an op must move (inputs read once, outputs written once).
// Resize args: planes, size, out size (square), antialias.
template <bool backward>
void resize_bench(benchmark::State& state) {
  const ResizeShape s{state.range(0), state.range(1), state.range(1), state.range(2), state.range(2),
                      state.range(3) != 0};
  const bool fast = state.range(4) != 0;
  auto be = make_cpu_backend(threads());
  const auto x = randoms(s.input_size(), 1), dy = randoms(s.output_size(), 2);
  std::vector<float> y(dy.size()), dx(x.size());
  auto run = [&] {
    if (backward) {
      if (fast) be->resize_bilinear_backward(s, dy.data(), dx.data());
      else resize_bilinear_backward_reference(s, dy.data(), dx.data());
    } else {
      if (fast) be->resize_bilinear_forward(s, x.data(), y.data());
      else resize_bilinear_forward_reference(s, x.data(), y.data());
    }
  };
  run();  // warm: plans, scratch and pages
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(backward ? dx.data() : y.data());
  }
  const double bytes = 4.0 * static_cast<double>(s.input_size() + s.output_size());
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_ResizeForward(benchmark::State& state) { resize_bench<false>(state); }
void BM_ResizeBackward(benchmark::State& state) { resize_bench<true>(state); }
void resize_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"planes", "in", "out", "aa", "fast"});
  for (int fast : {0, 1}) b->Args({64, 256, 128, 1, fast});  // Dynamic World's downsampling
  for (int fast : {0, 1}) b->Args({96, 128, 256, 0, fast});  // and upsampling
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_ResizeForward)->Apply(resize_shapes);
BENCHMARK(BM_ResizeBackward)->Apply(resize_shapes);

// L2 normalisation args: n, c, size (square).
template <bool backward>
void l2_bench(benchmark::State& state) {
  const L2NormalizeShape s{state.range(0), state.range(1), state.range(2) * state.range(2), 1e-12f};
  const bool fast = state.range(3) != 0;
  auto be = make_cpu_backend(threads());
  const auto x = randoms(s.size(), 1), dy = randoms(s.size(), 2);
  std::vector<float> y(x.size());
  auto run = [&] {
    if (backward) {
      if (fast) be->l2_normalize_backward(s, x.data(), dy.data(), y.data());
      else l2_normalize_backward_reference(s, x.data(), dy.data(), y.data());
    } else {
      if (fast) be->l2_normalize_forward(s, x.data(), y.data());
      else l2_normalize_forward_reference(s, x.data(), y.data());
    }
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
  }
  const double bytes = 4.0 * static_cast<double>(s.size()) * (backward ? 3.0 : 2.0);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_L2NormalizeForward(benchmark::State& state) { l2_bench<false>(state); }
void BM_L2NormalizeBackward(benchmark::State& state) { l2_bench<true>(state); }
void l2_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "hw", "fast"});
  for (int fast : {0, 1}) b->Args({1, 144, 256, fast});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_L2NormalizeForward)->Apply(l2_shapes);
BENCHMARK(BM_L2NormalizeBackward)->Apply(l2_shapes);

// Dynamic World's depthwise convolutions and Mish: the backend (fast path, STRATA_THREADS threads)
// against the reference (one thread), args n, c, size, k (depthwise) or n, c, size (Mish); the
// last arg 1 runs the reference. Rates in Gpx/s of output (n * c * size^2 per iteration).
benchmark::Counter gpx_rate(int64_t outputs) {
  return benchmark::Counter(static_cast<double>(outputs) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_DepthwiseConvForward(benchmark::State& state) {
  const DepthwiseConv2dShape s{state.range(0), state.range(1), state.range(2), state.range(2), state.range(3)};
  const bool reference = state.range(4) != 0;
  auto be = make_cpu_backend(threads());
  const auto x = randoms(s.size(), 1), w = randoms(s.weight_size(), 2), b = randoms(s.c, 3);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    if (reference) depthwise_conv2d_forward_reference(s, x.data(), w.data(), b.data(), y.data());
    else be->depthwise_conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["Gpx/s"] = gpx_rate(s.size());
}
void BM_DepthwiseConvBackward(benchmark::State& state) {
  const DepthwiseConv2dShape s{state.range(0), state.range(1), state.range(2), state.range(2), state.range(3)};
  const bool reference = state.range(4) != 0;
  auto be = make_cpu_backend(threads());
  const auto x = randoms(s.size(), 1), w = randoms(s.weight_size(), 2), dy = randoms(s.size(), 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(static_cast<size_t>(s.c));
  for (auto _ : state) {
    if (reference)
      depthwise_conv2d_backward_reference(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    else be->depthwise_conv2d_backward(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    benchmark::DoNotOptimize(dx.data());
  }
  state.counters["Gpx/s"] = gpx_rate(s.size());
}
void depthwise_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "hw", "k", "ref"});
  for (int ref : {0, 1}) b->Args({1, 96, 128, 3, ref})->Args({8, 144, 128, 3, ref})->Args({1, 96, 128, 5, ref});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_DepthwiseConvForward)->Apply(depthwise_shapes);
BENCHMARK(BM_DepthwiseConvBackward)->Apply(depthwise_shapes);

void BM_Mish(benchmark::State& state, bool backward) {
  const int64_t count = state.range(0) * state.range(1) * state.range(2) * state.range(2);
  const bool reference = state.range(3) != 0;
  auto be = make_cpu_backend(threads());
  const auto x = randoms(count, 1), dy = randoms(count, 2);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    if (backward) {
      if (reference) mish_backward_reference(x.data(), dy.data(), y.data(), count);
      else be->mish_backward(x.data(), dy.data(), y.data(), count);
    } else {
      if (reference) mish_forward_reference(x.data(), y.data(), count);
      else be->mish_forward(x.data(), y.data(), count);
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["Gpx/s"] = gpx_rate(count);
}
void BM_MishForward(benchmark::State& s) { BM_Mish(s, false); }
void BM_MishBackward(benchmark::State& s) { BM_Mish(s, true); }
void mish_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "hw", "ref"});
  for (int ref : {0, 1}) b->Args({1, 96, 128, ref})->Args({8, 144, 128, ref});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_MishForward)->Apply(mish_shapes);
BENCHMARK(BM_MishBackward)->Apply(mish_shapes);

void model_bench(benchmark::State& state, const ModelConfig& config, bool train, int64_t n = 16, int64_t hw = 128) {
  const int64_t rss_before = status_kib("VmRSS");
  const bool peak_known = reset_peak_rss();
  auto be = make_cpu_backend(threads());
  auto model = make_model(*be, config, 1);
  const auto x = randoms(n * config.in_bands * hw * hw, 1);
  std::vector<uint8_t> labels(static_cast<size_t>(n * hw * hw));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(i * 7 % 9);
  Trainer trainer(*model, AdamConfig{}, LrSchedule{1e-4f, 0.0f, 0, 1000000}, {});
  Predictor predict(*model);
  // One untimed step sizes every buffer; the timed ones must then allocate nothing.
  if (train) trainer.step(x.data(), labels.data(), n, hw, hw);
  else predict.probabilities(x.data(), n, hw, hw);
  for (auto _ : state) {
    if (train) {
      benchmark::DoNotOptimize(trainer.step(x.data(), labels.data(), n, hw, hw));
    } else {
      benchmark::DoNotOptimize(predict.probabilities(x.data(), n, hw, hw).data);
    }
  }
  state.counters["Mpx/s"] = benchmark::Counter(static_cast<double>(n * hw * hw) * 1e-6,
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads();
  // Model, data and every buffer of a step: what PyTorch's figure in side_by_side.py also counts.
  if (peak_known) state.counters["peak_MiB"] = static_cast<double>(status_kib("VmHWM") - rss_before) / 1024.0;
}

void BM_UNetSmallInference(benchmark::State& s) { model_bench(s, unet_small_config(), false); }
void BM_UNetSmallTraining(benchmark::State& s) { model_bench(s, unet_small_config(), true); }
void BM_SampleFcnInference(benchmark::State& s) { model_bench(s, sample_fcn_config(), false); }
void BM_SampleFcnTraining(benchmark::State& s) { model_bench(s, sample_fcn_config(), true); }
// Dynamic World's network (random weights time as the real ones), args: batch, size.
void BM_DynamicWorldInference(benchmark::State& s) {
  model_bench(s, dynamic_world_config(), false, s.range(0), s.range(1));
}
void BM_DynamicWorldTraining(benchmark::State& s) {
  model_bench(s, dynamic_world_config(), true, s.range(0), s.range(1));
}
BENCHMARK(BM_DynamicWorldInference)->Args({1, 256})->Args({8, 256})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DynamicWorldTraining)->Args({16, 128})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_UNetSmallInference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_UNetSmallTraining)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SampleFcnInference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SampleFcnTraining)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace strata::nn

int main(int argc, char** argv) {
  strata::nn::fast::set_blas_threads(1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
