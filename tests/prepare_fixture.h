#pragma once
// A small synthetic time series shared by the prepare tests, made once per test binary.
#include <algorithm>
#include <filesystem>
#include <vector>
#include <string>

#include "pipeline/prepare.h"
#include "pipeline/synth.h"
#include "test_util.h"

namespace strata::test {

inline const std::string& synth_dir() {
  static TempDir dir;
  static bool made = false;
  if (!made) {
    pipeline::SynthOptions o;
    o.out_dir = dir / "synth";
    o.size = 384;
    o.dates = 4;
    o.seed = 11;
    o.threads = 1;
    pipeline::run_synth(o);
    made = true;
  }
  static const std::string path = dir / "synth";
  return path;
}

// The i-th date of the series (YYYY-MM-DD): 2021-01-15, 2021-04-16, 2021-07-16, 2021-10-15.
inline std::string synth_date(int i) {
  std::vector<std::string> dates;
  for (const auto& e : std::filesystem::directory_iterator(synth_dir())) {
    const std::string n = e.path().filename().string();
    if (n.rfind("labels_", 0) == 0) dates.push_back(n.substr(7, 10));
  }
  std::sort(dates.begin(), dates.end());
  return dates.at(static_cast<size_t>(i));
}

inline pipeline::PrepareOptions small_prepare(const std::string& out) {
  pipeline::PrepareOptions o;
  o.scenes = {synth_dir() + "/S2_*.tif"};
  o.labels = synth_dir() + "/worldcover_" + synth_date(1) + ".tif";
  o.out_dir = out;
  o.sampling.patch = 32;
  o.sampling.patches = 120;
  o.sampling.seed = 5;
  o.shard_size = 25;
  o.stack.scene.harmonize = geo::Harmonize::no;
  return o;
}

}  // namespace strata::test
