// QA60 cloud mask + median composite of a 10-date x 13-band x 1024^2 uint16 stack (272 MB), in
// Mpx/s at 1 and 2 threads, beside two figures measured in the same run: the memory-bandwidth
// bound (a read stream over a buffer larger than the caches) and numpy doing QA60 masking +
// np.nanmedian over a stack of the same shape (/usr/bin/python3).
//   build/benchmarks/bench_composite [--benchmark_filter=...]
// Environment: STRATA_BENCH_SIZE (default 1024), STRATA_BENCH_NUMPY_ROWS (rows numpy composites,
// default the full size; it is ~100x slower), STRATA_BENCH_PYTHON (default /usr/bin/python3).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>
#include <time.h>
#include <unistd.h>

#include "geo/cloud_mask.h"
#include "geo/composite.h"

namespace {

using strata::geo::CompositeInput;
using strata::geo::CompositeOutput;
using strata::geo::CompositeParams;

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

// The stack, built once: smooth texture plus noise per band, and per date a QA60 with blobs of
// opaque cloud and cirrus covering about a third of the scene at different places each date.
struct Stack {
  int64_t dates = 10, bands = 13, size = 1024;
  std::vector<std::vector<uint16_t>> images, qa60;
  std::vector<std::vector<uint8_t>> masks;
  std::vector<uint16_t> out;
  std::vector<uint8_t> count;

  int64_t plane() const { return size * size; }
  int64_t stack_bytes() const { return dates * bands * plane() * 2; }
  // Bytes one pixel moves through DRAM: its stack values, QA60s, masks (written, read), outputs.
  int64_t bytes_per_pixel() const { return dates * bands * 2 + dates * 2 + dates * 2 + bands * 2 + 1; }

  Stack() {
    size = env_int("STRATA_BENCH_SIZE", 1024);
    images.resize(static_cast<size_t>(dates));
    qa60.resize(static_cast<size_t>(dates));
    masks.resize(static_cast<size_t>(dates));
    uint32_t seed = 1;
    for (int64_t t = 0; t < dates; ++t) {
      auto& img = images[static_cast<size_t>(t)];
      img.resize(static_cast<size_t>(bands * plane()));
      for (int64_t b = 0; b < bands; ++b)
        for (int64_t y = 0; y < size; ++y)
          for (int64_t x = 0; x < size; ++x) {
            seed = seed * 1664525u + 1013904223u;
            img[static_cast<size_t>((b * size + y) * size + x)] =
                static_cast<uint16_t>(300 + 180 * b + ((x / 37 + y / 23 + t) % 11) * 90 + (seed >> 24));
          }
      auto& q = qa60[static_cast<size_t>(t)];
      q.resize(static_cast<size_t>(plane()));
      for (int64_t y = 0; y < size; ++y)
        for (int64_t x = 0; x < size; ++x) {
          const int64_t blob = (x / 97 + 3 * (y / 61) + 7 * t) % 6;
          q[static_cast<size_t>(y * size + x)] = blob == 0 ? 1024 : blob == 1 ? 2048 : 0;
        }
      masks[static_cast<size_t>(t)].resize(static_cast<size_t>(plane()));
    }
    out.resize(static_cast<size_t>(bands * plane()));
    count.resize(static_cast<size_t>(plane()));
  }

  CompositeInput input() const {
    CompositeInput in;
    in.bands = bands, in.height = size, in.width = size;
    for (int64_t t = 0; t < dates; ++t) {
      in.images.push_back(images[static_cast<size_t>(t)].data());
      in.masks.push_back(masks[static_cast<size_t>(t)].data());
      in.nodata.push_back(uint16_t{0});
    }
    return in;
  }
  void mask_all() {
    for (int64_t t = 0; t < dates; ++t)
      strata::geo::cloud_mask_qa60_reference(qa60[static_cast<size_t>(t)].data(), plane(),
                                             masks[static_cast<size_t>(t)].data());
  }
};

Stack& stack() {
  static Stack s;
  return s;
}

// CPU time of the whole process (all threads), which, unlike wall time, does not count the time
// other users' processes hold the cores: on a shared machine it tells what the code would do alone.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void set_mpx_per_cpu_second(benchmark::State& state, int64_t pixels_per_iteration, double cpu_seconds) {
  state.counters["Mpx/cpu-s"] =
      static_cast<double>(pixels_per_iteration) * static_cast<double>(state.iterations()) / 1e6 / cpu_seconds;
}

void set_mpx(benchmark::State& state, int64_t pixels_per_iteration) {
  state.counters["Mpx/s"] =
      benchmark::Counter(static_cast<double>(pixels_per_iteration) * static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate);
}

// ---- strata ----

void BM_Qa60MaskAndMedianComposite(benchmark::State& state) {
  Stack& s = stack();
  const CompositeInput in = s.input();
  CompositeParams p;
  p.threads = static_cast<int>(state.range(0));
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    s.mask_all();
    strata::geo::composite_fast(in, p, CompositeOutput{s.out.data(), s.count.data()});
    benchmark::DoNotOptimize(s.out.data());
  }
  set_mpx_per_cpu_second(state, s.plane(), process_cpu_seconds() - cpu0);
  set_mpx(state, s.plane());
}
BENCHMARK(BM_Qa60MaskAndMedianComposite)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// The two parts alone: what fusing the mask into the composite could save at most.
void BM_Qa60MaskOnly(benchmark::State& state) {
  Stack& s = stack();
  for (auto _ : state) {
    s.mask_all();
    benchmark::DoNotOptimize(s.masks[0].data());
  }
  set_mpx(state, s.plane());
}
BENCHMARK(BM_Qa60MaskOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MedianCompositeOnly(benchmark::State& state) {
  Stack& s = stack();
  s.mask_all();
  const CompositeInput in = s.input();
  CompositeParams p;
  p.threads = static_cast<int>(state.range(0));
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    strata::geo::composite_fast(in, p, CompositeOutput{s.out.data(), s.count.data()});
    benchmark::DoNotOptimize(s.out.data());
  }
  set_mpx_per_cpu_second(state, s.plane(), process_cpu_seconds() - cpu0);
  set_mpx(state, s.plane());
}
BENCHMARK(BM_MedianCompositeOnly)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// The reference, on the first 64 rows only (it is slow): the speed-up of the fast path.
void BM_MedianCompositeReference64Rows(benchmark::State& state) {
  Stack& s = stack();
  s.mask_all();
  CompositeInput in = s.input();
  in.height = 64;
  // The reference indexes bands by plane = height * width: give it a compact copy of the 64 rows.
  std::vector<std::vector<uint16_t>> rows(static_cast<size_t>(s.dates));
  for (int64_t t = 0; t < s.dates; ++t) {
    auto& r = rows[static_cast<size_t>(t)];
    for (int64_t b = 0; b < s.bands; ++b) {
      const uint16_t* src = s.images[static_cast<size_t>(t)].data() + b * s.plane();
      r.insert(r.end(), src, src + 64 * s.size);
    }
    in.images[static_cast<size_t>(t)] = r.data();
  }
  for (auto _ : state) {
    strata::geo::composite_reference(in, {}, CompositeOutput{s.out.data(), s.count.data()});
    benchmark::DoNotOptimize(s.out.data());
  }
  set_mpx(state, 64 * s.size);
}
BENCHMARK(BM_MedianCompositeReference64Rows)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- the bound: reading the stack once at the machine's DRAM bandwidth ----

void BM_MemoryReadStream(benchmark::State& state) {
  Stack& s = stack();
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<uint64_t> sums(static_cast<size_t>(threads), 0);
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w)
      pool.emplace_back([&, w] {
        uint64_t sum = 0;
        for (int64_t t = w; t < s.dates; t += threads) {
          const auto& img = s.images[static_cast<size_t>(t)];
          const auto* p = reinterpret_cast<const uint64_t*>(img.data());
          const size_t n = img.size() / 4;
          for (size_t i = 0; i < n; ++i) sum += p[i];
        }
        sums[static_cast<size_t>(w)] = sum;
      });
    for (auto& th : pool) th.join();
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(state.iterations() * s.stack_bytes());
  set_mpx(state, s.plane());
}
BENCHMARK(BM_MemoryReadStream)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

// ---- the anchor: numpy, same shape, same cloud pattern, in the same run ----

const char* kNumpyScript = R"PY(
import sys, time, numpy as np
T, B, S, rows = 10, 13, int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
stack = rng.integers(300, 3000, size=(T, B, rows, S), dtype=np.uint16)
y, x = np.mgrid[0:rows, 0:S]
qa = np.stack([np.where((x // 97 + 3 * (y // 61) + 7 * t) % 6 == 0, 1024,
               np.where((x // 97 + 3 * (y // 61) + 7 * t) % 6 == 1, 2048, 0)) for t in range(T)]).astype(np.uint16)
t0 = time.perf_counter()
clear = (qa & (1024 | 2048)) == 0
f = np.where(clear[:, None, :, :], stack.astype(np.float32), np.nan)
med = np.nanmedian(f, axis=0)
count = clear.sum(axis=0).astype(np.uint8)
out = np.where(np.isnan(med), 0, med).astype(np.uint16)
dt = time.perf_counter() - t0
print(rows * S / dt / 1e6)
)PY";

double run_numpy(int64_t size, int64_t rows) {
  const std::string python = std::getenv("STRATA_BENCH_PYTHON") ? std::getenv("STRATA_BENCH_PYTHON") : "/usr/bin/python3";
  const std::string script_path = "/tmp/strata-bench-composite-" + std::to_string(::getpid()) + ".py";
  if (FILE* f = std::fopen(script_path.c_str(), "w")) {
    std::fputs(kNumpyScript, f);
    std::fclose(f);
  } else {
    return -1;
  }
  std::string cmd = python;  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on a chain of +
  cmd += ' ';
  cmd += script_path;
  cmd += ' ';
  cmd += std::to_string(size);
  cmd += ' ';
  cmd += std::to_string(rows);
  cmd += " 2>&1";
  double mpx = -1;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    std::string text;
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
    if (pclose(p) == 0) mpx = std::atof(text.c_str());
    else std::fprintf(stderr, "numpy anchor failed:\n%s\n", text.c_str());
  }
  std::remove(script_path.c_str());
  return mpx;
}

void BM_NumpyAnchorQa60MaskNanmedian(benchmark::State& state) {
  const int64_t size = env_int("STRATA_BENCH_SIZE", 1024);
  const int64_t rows = std::min(size, env_int("STRATA_BENCH_NUMPY_ROWS", size));
  double mpx = -1;
  for (auto _ : state) mpx = run_numpy(size, rows);
  if (mpx <= 0) {
    state.SkipWithError("numpy anchor did not run (needs /usr/bin/python3 with numpy)");
    return;
  }
  state.counters["Mpx/s"] = mpx;  // numpy's own timing of the masking + median, without start-up
}
BENCHMARK(BM_NumpyAnchorQa60MaskNanmedian)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// "BM_X/2/min_time:..." (snprintf: GCC 12 warns falsely (-Wrestrict) on std::string appends here).
std::string run_name(const char* base, int threads, const char* tail) {
  char name[256];
  std::snprintf(name, sizeof name, "%s/%d%s", base, threads, tail);
  return name;
}

// Collects each run's Mpx/s for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      auto it = r.counters.find("Mpx/s");
      if (it == r.counters.end() || r.error_occurred) continue;
      mpx_[r.benchmark_name()] = it->second.value;  // rates are already per second here
      if (auto c = r.counters.find("Mpx/cpu-s"); c != r.counters.end()) cpu_[r.benchmark_name()] = c->second.value;
    }
  }
  void print_summary() const {
    auto get = [&](const std::string& k) {
      auto it = mpx_.find(k);
      return it == mpx_.end() ? -1.0 : it->second;
    };
    const Stack& s = stack();
    std::printf("\nSummary: QA60 mask + median composite, %lld dates x %lld bands x %lld^2 uint16 (%.0f MB)\n",
                static_cast<long long>(s.dates), static_cast<long long>(s.bands), static_cast<long long>(s.size),
                static_cast<double>(s.stack_bytes()) / 1e6);
    const double numpy = get("BM_NumpyAnchorQa60MaskNanmedian/iterations:1/real_time");
    for (int th : {1, 2}) {
      const std::string strata_name = run_name("BM_Qa60MaskAndMedianComposite", th, "/min_time:2.000/real_time");
      const double strata_mpx = get(strata_name);
      const double read_mpx = get(run_name("BM_MemoryReadStream", th, "/min_time:1.000/real_time"));
      const double gbps = read_mpx * static_cast<double>(s.stack_bytes()) / static_cast<double>(s.plane()) / 1e3;
      const auto cpu = cpu_.find(strata_name);
      std::printf(
          "  %d thread(s): strata %.1f Mpx/s (%.1f Mpx per CPU-second) | memory bound %.1f Mpx/s (read stream %.1f "
          "GB/s; strata at %.0f%% of it)",
          th, strata_mpx, cpu == cpu_.end() ? -1.0 : cpu->second, read_mpx, gbps,
          read_mpx > 0 ? 100.0 * strata_mpx / read_mpx : 0.0);
      if (numpy > 0) std::printf(" | numpy %.2f Mpx/s, strata/numpy %.0fx", numpy, strata_mpx / numpy);
      std::printf("\n");
    }
  }

 private:
  std::map<std::string, double> mpx_, cpu_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
