#pragma once
// A small prepared dataset for the train tests, made once per test binary.
#include "dist/communicator.h"
#include "prepare_fixture.h"
#include "pipeline/train.h"

namespace strata::test {

inline const std::string& dataset_dir() {
  static const std::string dir = [] {
    const std::string d = synth_dir() + "/../dataset";
    auto comm = dist::make_single_process();
    pipeline::PrepareOptions o = small_prepare(d);
    o.sampling.patches = 96;
    pipeline::run_prepare(o, *comm);
    return d;
  }();
  return dir;
}

inline pipeline::TrainOptions small_train(const std::string& out) {
  pipeline::TrainOptions o;
  o.data_dir = dataset_dir();
  o.out_dir = out;
  o.model = "sample-fcn";
  o.epochs = 2;
  o.batch = 8;
  o.lr = 0.01;
  o.seed = 4;
  return o;
}

}  // namespace strata::test
