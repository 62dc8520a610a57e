// Proof that strata runs Dynamic World's network and not something like it: Google's published
// SavedModel imported by strata (src/import) against an independent PyTorch implementation
// (scripts/dynamic_world_torch.py, goldens from scripts/make_golden_dynamic_world.py) to 1e-4 in
// probability on real inputs; then `strata predict` on the real Sen1Floods11 L1C chip against the
// class histogram and water IoU another implementation gave, tiled against whole-image, and on
// L2A and 9-band inputs. Skips, with the reason, without ../shared.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/classes.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "geo/raster.h"
#include "golden_reader.h"
#include "import/dynamic_world.h"
#include "nn/backend.h"
#include "nn/model_state.h"
#include "nn/trainer.h"
#include "pipeline/predict.h"
#include "pipeline/synth.h"
#include "store/checkpoint.h"
#include "raster_band.h"
#include "test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using F = std::vector<float>;

const std::string kModels = STRATA_SHARED_MODELS;
const std::string kGolden = std::string(STRATA_SOURCE_DIR) + "/tests/golden/dynamic_world.tensors";

bool have_models() { return fs::is_directory(kModels + "/forward/variables"); }

// The imported forward model as a checkpoint, written once per test program.
const std::string& dw_checkpoint() {
  static const std::string path = [] {
    const std::string p = (fs::temp_directory_path() / ("strata-dw-" + std::to_string(::getpid()) + ".h5")).string();
    store::write_checkpoint(p, import::import_dynamic_world(kModels + "/forward", import::DynamicWorldRole::automatic));
    return p;
  }();
  return path;
}

#define REQUIRE_DYNAMIC_WORLD()                                                         \
  if (!have_models()) GTEST_SKIP() << "no Dynamic World SavedModel at " << kModels; \
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA

double max_abs_diff(const float* a, const F& b) {
  double d = 0;
  for (size_t i = 0; i < b.size(); ++i) d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, ProbabilitiesMatchPyTorchTo1e4) {
  if (!have_models()) GTEST_SKIP() << "no Dynamic World SavedModel at " << kModels;
  const auto golden = test::read_golden(kGolden);
  const std::string c = GetParam();
  const test::GoldenTensor& dn = golden.at(c + ".dn");
  const int64_t n = dn.shape[0], bands = dn.shape[1], h = dn.shape[2], w = dn.shape[3];
  std::vector<uint16_t> dn16(dn.f32.size());
  for (size_t i = 0; i < dn16.size(); ++i) dn16[i] = static_cast<uint16_t>(dn.f32[i]);

  const nn::ModelState state = store::read_checkpoint(dw_checkpoint());
  const nn::ModelInfo info = nn::info_from_state(state);
  for (int threads : {1, 2}) {
    auto be = nn::make_cpu_backend(threads);
    auto model = nn::model_from_state(*be, state);
    nn::DeviceBuffer d_dn(*be, dn16.size() * sizeof(uint16_t)), d_x(*be, dn16.size() * sizeof(float));
    be->upload(d_dn.as<void>(), dn16.data(), dn16.size() * sizeof(uint16_t));
    be->normalize_bands(d_dn.as<uint16_t>(), d_x.as<float>(), info.normalization, n, h * w);
    ASSERT_EQ(bands, info.normalization.bands());
    EXPECT_LT(max_abs_diff(d_x.as<float>(), golden.at(c + ".input").f32), 1e-5) << "normalisation";
    nn::Predictor predict(*model);
    const nn::Act p = predict.probabilities(d_x.as<float>(), n, h, w);
    const F& want = golden.at(c + ".probs").f32;
    ASSERT_EQ(p.numel(), static_cast<int64_t>(want.size()));
    EXPECT_LT(max_abs_diff(p.data, want), 1e-4) << c << ", " << threads << " thread(s)";
  }
}

INSTANTIATE_TEST_SUITE_P(RealInputs, Golden,
                         ::testing::Values("flood48", "bigearthnet", "worldcereal", "flood_batch", "nodata"));

TEST(Golden, BackwardModelMatchesPyTorch) {
  if (!have_models()) GTEST_SKIP() << "no Dynamic World SavedModel at " << kModels;
  const auto golden = test::read_golden(kGolden);
  const test::GoldenTensor& in = golden.at("backward.probs_in");
  auto be = nn::make_cpu_backend(2);
  auto model = nn::model_from_state(
      *be, import::import_dynamic_world(kModels + "/backward", import::DynamicWorldRole::automatic));
  const nn::Act y = model->forward(in.f32.data(), in.shape[0], in.shape[2], in.shape[3], false);
  EXPECT_LT(max_abs_diff(y.data, golden.at("backward.output").f32), 1e-4);
}

using test::read_band;

// Predict a real scene with the imported model into a fresh folder; returns the VRT.
std::string predict(const std::string& scene, const std::string& out, int64_t tile, const std::string& type) {
  log::set_level(log::Level::warn);
  pipeline::PredictOptions o;
  o.model = dw_checkpoint();
  o.scenes = {scene};
  o.out_dir = out;
  o.tile = tile;
  o.probabilities = type;
  o.force = true;
  o.stack.cloud_mask = false;  // as the independent implementation: every pixel classified
  auto comm = dist::make_single_process();
  return pipeline::run_predict(o, *comm).products.front();
}

TEST(FloodChip, ClassHistogramAndWaterIoUAgreeWithAnIndependentImplementation) {
  REQUIRE_DYNAMIC_WORLD();
  test::TempDir dir;
  const std::string vrt = predict(test::real_data("sen1floods11-spain/S2_L1C_20190918.tif"), dir / "maps", 256, "uint8");
  const std::vector<uint8_t> label = read_band<uint8_t>(vrt, 9);
  const std::vector<uint8_t> water = read_band<uint8_t>(test::real_data("sen1floods11-spain/label_water.tif"), 0);
  ASSERT_EQ(label.size(), size_t{512 * 512});
  ASSERT_EQ(water.size(), label.size());
  std::array<int64_t, 9> hist{};
  int64_t tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < label.size(); ++i) {
    ASSERT_LT(label[i], 9) << "pixel " << i << " has no class (the chip has no no-data)";
    ++hist[label[i]];
    if (water[i] == 255) continue;
    const bool p = label[i] == 0, t = water[i] == 1;
    tp += p && t;
    fp += p && !t;
    fn += !p && t;
  }
  // Every map made with the imported model carries its licence and attribution.
  const geo::Raster map = geo::Raster::open(vrt);
  EXPECT_EQ(map.metadata_item("MODEL_LICENSE"), "Apache-2.0");
  EXPECT_NE(map.metadata_item("MODEL_ATTRIBUTION").find("Dynamic World Project by Google"), std::string::npos);
  const std::array<int64_t, 9> reference = {78756, 12509, 11271, 18654, 77354, 146, 49902, 13552, 0};
  for (size_t k = 0; k < 9; ++k) EXPECT_NEAR(hist[k], reference[k], 262) << "class " << k;
  const double iou = static_cast<double>(tp) / static_cast<double>(tp + fp + fn);
  std::printf("flood chip: histogram");
  for (int64_t v : hist) std::printf(" %lld", static_cast<long long>(v));
  std::printf(", water IoU %.4f (tp %lld, fp %lld, fn %lld)\n", iou, static_cast<long long>(tp),
              static_cast<long long>(fp), static_cast<long long>(fn));
  EXPECT_NEAR(iou, 0.639, 0.002);
  EXPECT_NEAR(static_cast<double>(tp) / static_cast<double>(tp + fn), 0.828, 0.002) << "recall";
  EXPECT_NEAR(static_cast<double>(tp) / static_cast<double>(tp + fp), 0.737, 0.002) << "precision";
}

TEST(FloodChip, TiledEqualsWholeImageTo1e5) {
  REQUIRE_DYNAMIC_WORLD();
  test::TempDir dir;
  const std::string scene = test::real_data("sen1floods11-spain/S2_L1C_20190918.tif");
  const std::string tiled = predict(scene, (dir.path() / "tiled").string(), 96, "float32");
  const std::string whole = predict(scene, (dir.path() / "whole").string(), 512, "float32");
  double worst = 0;
  for (int b = 0; b < 9; ++b) {
    const F a = read_band<float>(tiled, b), c = read_band<float>(whole, b);
    ASSERT_EQ(a.size(), c.size());
    worst = std::max(worst, max_abs_diff(a.data(), c));
  }
  EXPECT_LT(worst, 1e-5);
}

TEST(RealL2A, TwelveAndNineBandScenesPredictWithOneWarningForL2A) {
  REQUIRE_DYNAMIC_WORLD();
  test::TempDir dir;
  // BigEarthNet: 12 bands (no B10), L2A; WorldCereal: the 9 bands alone, L2A.
  for (const std::string scene : {"bigearthnet-s2-patches/stacked/S2B_MSIL2A_20170924T93020_69_24.tif",
                                  "worldcereal-belgium-monthly/S2_L2A_monthly_2021-06.tif"}) {
    const std::string out = dir / fs::path(scene).stem().string();
    const test::RunResult r =
        test::run_strata("predict --model " + dw_checkpoint() + " --scenes " + test::real_data(scene) + " --out " + out);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string warning = "was trained on L1C input";
    const size_t at = r.output.find(warning);
    EXPECT_NE(at, std::string::npos) << r.output;
    EXPECT_EQ(r.output.find(warning, at + 1), std::string::npos) << "warned more than once: " << r.output;
    EXPECT_EQ(geo::Raster::open(out + "/" + fs::path(scene).stem().string() + ".vrt").band_count(), 10);
  }
  // The L1C chip gives no such warning.
  const test::RunResult l1c = test::run_strata("predict --model " + dw_checkpoint() + " --scenes " +
                                               test::real_data("sen1floods11-spain/S2_L1C_20190918.tif") + " --out " +
                                               (dir / "l1c"));
  ASSERT_EQ(l1c.exit_code, 0) << l1c.output;
  EXPECT_EQ(l1c.output.find("trained on L1C"), std::string::npos) << l1c.output;
}

// BigEarthNet's labels are per patch (CORINE, mapped to Dynamic World classes in labels.json): the
// class Dynamic World predicts most in a patch should be one of them. Google's model gets 12 of
// the 14; the two it misses are snow-covered in the image although labelled forest and arable land.
TEST(BigEarthNet, DominantClassIsAmongThePatchLabelsFor12Of14) {
  REQUIRE_DYNAMIC_WORLD();
  test::TempDir dir;
  std::ifstream in(test::real_data("bigearthnet-s2-patches/labels.json"));
  const nlohmann::json patches = nlohmann::json::parse(in);
  ASSERT_EQ(patches.size(), 14u);
  int hits = 0;
  for (const auto& p : patches) {
    const std::string name = p.at("patch").get<std::string>();
    const std::string vrt = predict(test::real_data("bigearthnet-s2-patches/stacked/" + name + ".tif"),
                                    (dir.path() / name).string(), 128, "uint8");
    std::array<int64_t, 9> hist{};
    for (uint8_t c : read_band<uint8_t>(vrt, 9))
      if (c < 9) ++hist[c];
    const auto top = static_cast<size_t>(std::max_element(hist.begin(), hist.end()) - hist.begin());
    bool hit = false;
    std::string labels;
    for (const auto& c : p.at("dw_classes_proposed")) {
      const std::string cls = c.get<std::string>().substr(0, c.get<std::string>().find(' '));  // "crops (mixed)"
      hit = hit || cls == class_names()[top];
      labels += (labels.empty() ? "" : ",") + cls;
    }
    hits += hit;
    std::printf("%-36s dominant %-18s (%4.1f%%) labels %s%s\n", name.c_str(), class_names()[top],
                100.0 * static_cast<double>(hist[top]) / (120.0 * 120.0), labels.c_str(), hit ? "" : "  <- miss");
  }
  EXPECT_GE(hits, 12);
}

// Dynamic World as the judge of strata synth's realism: a model trained only on real L1C imagery,
// run on synthetic L1C scenes, recovers their labels. Balanced accuracy over the classes present
// (recall per class, clear pixels: predict's QA60 mask), per class in the log. Measured: 0.452
// (seed 7; strata synth before its atmosphere, surface-like DN: 0.43); issue #13 asks for 0.70.
TEST(SynthJudge, DynamicWorldRecoversTheLabelsOfSyntheticL1C) {
  if (!have_models()) GTEST_SKIP() << "no Dynamic World SavedModel at " << kModels;
  log::set_level(log::Level::warn);
  test::TempDir dir;
  pipeline::SynthOptions so;
  so.out_dir = dir / "synth";
  so.size = 512;
  so.dates = 6;
  so.seed = 7;
  const pipeline::SynthResult synth = pipeline::run_synth(so);
  pipeline::PredictOptions o;
  o.model = dw_checkpoint();
  for (size_t i = 0; i + 1 < synth.files.size(); i += 4) o.scenes.push_back(synth.files[i]);
  o.out_dir = dir / "maps";
  o.tile = 512;
  auto comm = dist::make_single_process();
  const auto products = pipeline::run_predict(o, *comm).products;
  ASSERT_EQ(products.size(), 6u);
  std::array<std::array<int64_t, kNumClasses>, kNumClasses> confusion{};
  for (size_t d = 0; d < products.size(); ++d) {
    const auto truth = read_band<uint8_t>(synth.files[4 * d + 2], 0);
    const geo::Raster map = geo::Raster::open(products[d]);
    const auto label = read_band<uint8_t>(products[d], map.band_count() - 1);
    ASSERT_EQ(truth.size(), label.size());
    for (size_t i = 0; i < truth.size(); ++i)
      if (truth[i] < kNumClasses && label[i] < kNumClasses) ++confusion[truth[i]][label[i]];
  }
  double sum = 0;
  int present = 0;
  std::array<double, kNumClasses> recall{};
  for (int c = 0; c < kNumClasses; ++c) {
    int64_t n = 0;
    for (int64_t v : confusion[static_cast<size_t>(c)]) n += v;
    if (n < 1000) continue;
    recall[static_cast<size_t>(c)] = static_cast<double>(confusion[static_cast<size_t>(c)][static_cast<size_t>(c)]) / static_cast<double>(n);
    std::printf("  %-19s %8lld px  recall %.3f\n", class_names()[static_cast<size_t>(c)], static_cast<long long>(n),
                recall[static_cast<size_t>(c)]);
    sum += recall[static_cast<size_t>(c)];
    ++present;
  }
  ASSERT_GE(present, 7);
  const double balanced = sum / present;
  std::printf("  balanced accuracy %.3f over %d classes\n", balanced, present);
  RecordProperty("balanced_accuracy", std::to_string(balanced));
  // Floors a little under the measured figures: the test keeps what synth has reached.
  EXPECT_GE(balanced, 0.42);
  EXPECT_GE(recall[0], 0.6) << "water";
  EXPECT_GE(recall[1], 0.6) << "trees";
  EXPECT_GE(recall[2], 0.5) << "grass";
  EXPECT_GE(recall[4], 0.5) << "crops";
}

TEST(BadInput, SceneWithoutTheModelsBandsIsAClearError) {
  REQUIRE_DYNAMIC_WORLD();
  test::TempDir dir;
  // Three bands of the flood chip, named: B11 and B12 (and five more) are missing.
  const std::string three = dir / "three.tif";
  ASSERT_EQ(std::system(("gdal_translate -q -b 2 -b 3 -b 4 " + test::real_data("sen1floods11-spain/S2_L1C_20190918.tif") +
                         " " + three).c_str()),
            0);
  const test::RunResult r = test::run_strata("predict --model " + dw_checkpoint() + " --scenes " + three + " --out " +
                                             (dir / "maps"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("three.tif: has no band B5"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace strata
