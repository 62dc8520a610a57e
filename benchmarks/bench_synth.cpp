// Throughput of the synthetic scene generator: megapixels per second for full 13-band blocks
// (bands, QA60, SCL, labels), on a clear date and on a cloudy date with events. No file I/O.
#include <benchmark/benchmark.h>

#include <vector>

#include "geo/synth/noise.h"
#include "geo/synth/synth_scene.h"

namespace {

using namespace strata::geo::synth;

const SynthScene& scene() {
  static const SynthScene s = [] {
    SynthConfig c;
    c.size = 4096;
    c.dates = 6;
    c.seed = 42;
    c.spectra = SpectraTable::load(SpectraTable::default_path());
    return SynthScene(std::move(c));
  }();
  return s;
}

// Date 3 of seed 42 is clear with a swath edge; date 2 has heavy cloud, shadows and the flood.
void BM_SynthBlock(benchmark::State& state) {
  const int64_t side = state.range(0);
  const int date = static_cast<int>(state.range(1));
  const SynthScene& s = scene();
  SynthBlock block;
  int64_t offset = 0;
  for (auto _ : state) {
    // Move the window so that no two iterations compute the same pixels.
    const strata::geo::Window w{(offset * side) % (s.size() - side), 1024, side, side};
    s.render(w, date, block);
    benchmark::DoNotOptimize(block.bands.data());
    ++offset;
  }
  state.counters["Mpx/s"] = benchmark::Counter(static_cast<double>(state.iterations() * side * side) / 1e6,
                                               benchmark::Counter::kIsRate);
}

// The anchor: the floor of any generator of this output, one splitmix64 hash per pixel and band
// written as 13 planar uint16 bands (no landscape, spectra, sky or labels). The ratio of the two
// figures is what the realism costs.
void BM_HashFillAnchor(benchmark::State& state) {
  const int64_t side = state.range(0);
  std::vector<uint16_t> bands(static_cast<size_t>(kBands * side * side));
  uint64_t seed = 1;
  for (auto _ : state) {
    const auto n = static_cast<size_t>(side * side);
    for (size_t b = 0; b < static_cast<size_t>(kBands); ++b)
      for (size_t i = 0; i < n; ++i) bands[b * n + i] = static_cast<uint16_t>(hash(seed, b, i) >> 48);
    benchmark::DoNotOptimize(bands.data());
    ++seed;
  }
  state.counters["Mpx/s"] = benchmark::Counter(static_cast<double>(state.iterations() * side * side) / 1e6,
                                               benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_HashFillAnchor)->ArgNames({"side"})->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SynthBlock)->ArgNames({"side", "date"})->Args({256, 0})->Args({256, 2})->Args({512, 0})->Args({512, 2})
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
