// strata prepare end to end on a synthetic series: scene pixels (grid x dates) per second through
// masking, compositing, label warping, sampling and shard writing, 1 process. The anchor is the
// same series' bytes read once through GDAL (gdal_translate to a VRT-free copy), in the same run.
//   build/benchmarks/bench_prepare [--benchmark_min_time=...]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "dist/communicator.h"
#include "pipeline/prepare.h"
#include "pipeline/synth.h"

namespace {
namespace fs = std::filesystem;

struct Series {
  std::string dir;
  int64_t size = 1024, dates = 6;
  Series() {
    dir = (fs::temp_directory_path() / ("strata-bench-prepare-" + std::to_string(::getpid()))).string();
    strata::pipeline::SynthOptions o;
    o.out_dir = dir + "/synth";
    o.size = size;
    o.dates = static_cast<int>(dates);
    o.seed = 3;
    strata::pipeline::run_synth(o);
  }
  ~Series() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string labels() const {
    for (const auto& e : fs::directory_iterator(dir + "/synth"))
      if (e.path().filename().string().rfind("worldcover_", 0) == 0) return e.path().string();
    return "";
  }
};

Series& series() {
  static Series s;
  return s;
}

void BM_PrepareEndToEnd(benchmark::State& state) {
  Series& s = series();
  strata::pipeline::PrepareOptions o;
  o.scenes = {s.dir + "/synth/S2_*.tif"};
  o.labels = s.labels();
  o.out_dir = s.dir + "/ds";
  o.sampling.patch = 128;
  o.sampling.patches = 200;
  o.overwrite = true;
  o.stack.threads = static_cast<int>(state.range(0));
  o.stack.scene.harmonize = strata::geo::Harmonize::no;
  auto comm = strata::dist::make_single_process();
  for (auto _ : state) strata::pipeline::run_prepare(o, *comm);
  state.counters["scene_Mpx/s"] = benchmark::Counter(static_cast<double>(s.size * s.size * s.dates) * state.iterations() / 1e6,
                                                     benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PrepareEndToEnd)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

// The anchor: GDAL alone decoding the same scenes (what any prepare must at least do).
void BM_GdalReadScenes(benchmark::State& state) {
  Series& s = series();
  for (auto _ : state)
    for (const auto& e : fs::directory_iterator(s.dir + "/synth")) {
      const std::string n = e.path().filename().string();
      if (n.rfind("S2_", 0) != 0 || n.find("_QA") != std::string::npos) continue;
      const std::string cmd = "gdal_translate -q -of ENVI " + e.path().string() + " " + s.dir + "/copy.bin";
      if (std::system(cmd.c_str()) != 0) state.SkipWithError("gdal_translate failed");
    }
  state.counters["scene_Mpx/s"] = benchmark::Counter(static_cast<double>(s.size * s.size * s.dates) * state.iterations() / 1e6,
                                                     benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GdalReadScenes)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
