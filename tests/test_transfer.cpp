// What strata synth teaches holds on the real Earth: a unet-small trained on synthetic scenes only
// (the demo's series and recipe: 1024 px, 6 dates, the May-July composite, 1000 patches of 64 px,
// 6 epochs, radiometric augmentation on; tests/demo_dataset.h) maps the real samples in ../shared/data/real:
//  - the Sen1Floods11 L1C flood chip (Spain, 2019-09-18): water IoU against its hand labels;
//    measured 0.727 (Dynamic World's own model: 0.639; before the atmosphere, the radiometric
//    augmentation and the nine-band default, 0.24 and less). Issue #13 asks for 0.75.
//  - the 14 BigEarthNet L2A patches: the dominant predicted class is among the patch's labels
//    for 13 of 14 (Dynamic World's model: 12; the snow-covered February patch is missed).
// About 4 minutes on 2 cores.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/classes.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "geo/raster.h"
#include "pipeline/predict.h"
#include "pipeline/train.h"
#include "demo_dataset.h"
#include "raster_band.h"
#include "test_util.h"

using namespace strata;
using namespace strata::pipeline;

namespace {

using test::read_band;

// The label band of `model`'s map of one real scene, every pixel classified.
std::vector<uint8_t> predict_labels(const std::string& model, const std::string& scene, const std::string& out) {
  PredictOptions o;
  o.model = model;
  o.scenes = {scene};
  o.out_dir = out;
  o.tile = 256;
  o.force = true;
  o.stack.cloud_mask = false;
  auto comm = dist::make_single_process();
  const std::string vrt = run_predict(o, *comm).products.front();
  return read_band<uint8_t>(vrt, geo::Raster::open(vrt).band_count() - 1);
}

TEST(Transfer, UnetTrainedOnSynthMapsTheRealFloodAndBigEarthNet) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  log::set_level(log::Level::warn);
  test::TempDir dir;
  auto comm = dist::make_single_process();

  const std::string dataset = test::make_demo_dataset(dir);
  TrainOptions t;
  t.data_dir = dataset;
  t.out_dir = dir / "run";
  t.model = "unet-small";
  t.epochs = 6;
  t.batch = 16;  // the demo's 2 ranks x 8
  t.threads = 2;
  run_train(t, *comm);
  const std::string model = dir / "run/best.h5";

  // The flood: water against the hand labels (1 water, 0 not, 255 no data).
  const auto label = predict_labels(model, test::real_data("sen1floods11-spain/S2_L1C_20190918.tif"), dir / "flood");
  const auto truth = read_band<uint8_t>(test::real_data("sen1floods11-spain/label_water.tif"), 0);
  ASSERT_EQ(label.size(), truth.size());
  int64_t both = 0, either = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] == 255 || label[i] >= kNumClasses) continue;
    const bool w = label[i] == 0, tw = truth[i] == 1;
    both += w && tw;
    either += w || tw;
  }
  ASSERT_GT(either, 0);
  const double iou = static_cast<double>(both) / static_cast<double>(either);
  std::printf("Sen1Floods11 water IoU %.3f\n", iou);
  RecordProperty("flood_water_iou", std::to_string(iou));
  EXPECT_GE(iou, 0.70);

  // BigEarthNet: the dominant class among the patch's (scene-level) labels.
  std::ifstream in(test::real_data("bigearthnet-s2-patches/labels.json"));
  const nlohmann::json patches = nlohmann::json::parse(in);
  ASSERT_EQ(patches.size(), 14u);
  int hits = 0;
  for (const auto& patch : patches) {
    const std::string name = patch.at("patch").get<std::string>();
    const auto l = predict_labels(model, test::real_data("bigearthnet-s2-patches/stacked/" + name + ".tif"), dir / name);
    std::array<int64_t, kNumClasses> hist{};
    for (uint8_t c : l)
      if (c < kNumClasses) ++hist[c];
    const auto top = static_cast<size_t>(std::max_element(hist.begin(), hist.end()) - hist.begin());
    bool hit = false;
    for (const auto& c : patch.at("dw_classes_proposed")) {
      const std::string cls = c.get<std::string>().substr(0, c.get<std::string>().find(' '));  // "crops (mixed)"
      hit = hit || cls == class_names()[top];
    }
    hits += hit;
    std::printf("%-36s dominant %-18s%s\n", name.c_str(), class_names()[top], hit ? "" : "  <- miss");
  }
  RecordProperty("bigearthnet_hits", hits);
  EXPECT_GE(hits, 11);
}

}  // namespace
