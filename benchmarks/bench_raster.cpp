// Windowed read throughput of a 13-band uint16 GeoTIFF through strata's raster layer, beside
// gdal_translate copying the same file, measured in the same run.
//   build/benchmarks/bench_raster [--size N]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "geo/raster.h"

namespace {

struct Fixture {
  std::string dir, path;
  int64_t size = 2048;
  int bands = 13;
  int64_t bytes() const { return size * size * bands * 2; }

  void create() {
    dir = (std::filesystem::temp_directory_path() / ("strata-bench-raster-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(dir);
    path = dir + "/scene.tif";
    strata::geo::Grid g;
    g.width = g.height = size;
    g.transform = {600000, 10, 0, 5600000, 0, -10};
    g.crs_wkt = strata::geo::crs_wkt_from_epsg(32631);
    strata::geo::WriteOptions o;
    o.predictor = 2;
    strata::geo::RasterWriter w(path, g, bands, o);
    std::vector<uint16_t> strip(static_cast<size_t>(bands * size * 256));
    for (int64_t y = 0; y < size; y += 256) {
      // Smooth texture plus noise: compresses like real reflectance, not like zeros.
      for (int b = 0; b < bands; ++b)
        for (int64_t r = 0; r < 256; ++r)
          for (int64_t x = 0; x < size; ++x)
            strip[static_cast<size_t>((b * 256 + r) * size + x)] =
                static_cast<uint16_t>(800 + 300 * b + ((x / 37 + (y + r) / 23) % 11) * 90 + (x * 7919 + r * 104729) % 61);
      w.write_all({0, y, size, 256}, strip.data());
    }
    w.commit();
  }
  ~Fixture() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  if (f.path.empty()) f.create();
  return f;
}

void BM_StrataWindowedRead(benchmark::State& state) {
  Fixture& f = fixture();
  const int64_t win = state.range(0);
  std::vector<int> all(static_cast<size_t>(f.bands));
  for (int b = 0; b < f.bands; ++b) all[static_cast<size_t>(b)] = b;
  std::vector<uint16_t> buf(static_cast<size_t>(f.bands * win * win));
  for (auto _ : state) {
    // A fresh open each pass: GDAL's block cache must not serve decoded tiles from the last one.
    const auto r = strata::geo::Raster::open(f.path);
    for (int64_t y = 0; y + win <= f.size; y += win)
      for (int64_t x = 0; x + win <= f.size; x += win) r.read(all, {x, y, win, win}, buf.data());
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(state.iterations() * f.bytes());
  state.counters["Mpx/s"] = benchmark::Counter(static_cast<double>(f.size * f.size) * state.iterations() / 1e6,
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StrataWindowedRead)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

// The anchor: GDAL's own tool reading the same file (and writing it uncompressed).
void BM_GdalTranslateCopy(benchmark::State& state) {
  Fixture& f = fixture();
  const std::string out = f.dir + "/copy.tif";
  const std::string cmd = "gdal_translate -q -co TILED=YES " + f.path + " " + out;
  for (auto _ : state)
    if (std::system(cmd.c_str()) != 0) state.SkipWithError("gdal_translate failed (is gdal-bin installed?)");
  state.SetBytesProcessed(state.iterations() * f.bytes());
  state.counters["Mpx/s"] = benchmark::Counter(static_cast<double>(f.size * f.size) * state.iterations() / 1e6,
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GdalTranslateCopy)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
