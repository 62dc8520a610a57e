#pragma once
// A small catalog for the serve tests: `strata predict` (an untrained tiny U-Net; what is tested is
// the service, not the model) over prepare_fixture's synthetic series: 4 dates of 384 x 384 px on a
// UTM grid, in tiles of 192 px. Made once per test binary.
#include <string>

#include "dist/communicator.h"
#include "pipeline/predict.h"
#include "predict_fixture.h"

namespace strata::test {

// predict's output folder for `scenes` (a glob), in dir/pred; the checkpoint goes to dir/model.h5.
inline std::string make_serve_catalog(const std::string& dir, const std::string& scenes) {
  const std::string model = write_test_checkpoint(dir + "/model.h5", tiny_unet(), 21);
  pipeline::PredictOptions o = small_predict(model, dir + "/pred");
  o.scenes = {scenes};
  o.tile = 192;
  auto comm = dist::make_single_process();
  pipeline::run_predict(o, *comm);
  return dir + "/pred";
}

inline const std::string& serve_catalog() {
  static TempDir dir;
  static const std::string out = make_serve_catalog(dir.path().string(), synth_dir() + "/S2_*.tif");
  return out;
}

}  // namespace strata::test
