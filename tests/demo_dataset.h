#pragma once
// The demo's training data in a test (scripts/demo.sh): strata synth's 1024 px series of 6 dates
// (seed 42, a fire and a flood) and a dataset of 1000 patches of 64 px with the labels of
// 2021-05-16 and a composite of the dates they describe (05-16 and 07-16): on that date the
// flood's fields are water and the burn scar is bare, which a year-long median would show dry and
// half regrown (docs/training.md, "Learning to 90 % on synthetic data").
#include <string>

#include "dist/communicator.h"
#include "pipeline/prepare.h"
#include "pipeline/synth.h"
#include "test_util.h"

namespace strata::test {

// Writes dir/synth and dir/dataset; returns the dataset's directory.
inline std::string make_demo_dataset(const TempDir& dir) {
  pipeline::SynthOptions s;
  s.out_dir = dir / "synth";
  s.size = 1024;
  s.dates = 6;
  s.seed = 42;
  s.threads = 2;
  pipeline::run_synth(s);
  pipeline::PrepareOptions p;
  p.scenes = {dir / "synth/S2_*.tif"};
  p.labels = dir / "synth/worldcover_2021-05-16.tif";
  p.start = "2021-05-01";
  p.end = "2021-07-31";
  p.out_dir = dir / "dataset";
  p.sampling.patch = 64;
  p.sampling.patches = 1000;
  p.stack.threads = 2;
  auto comm = dist::make_single_process();
  pipeline::run_prepare(p, *comm);
  return p.out_dir;
}

}  // namespace strata::test
