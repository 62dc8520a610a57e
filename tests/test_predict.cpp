// strata predict end to end on the synthetic series: no seams between tiles, incremental reruns,
// a killed run finished by a rerun, what GDAL sees in the outputs, nodata, and bad inputs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dist/communicator.h"
#include "geo/raster.h"
#include "nn/backend_registry.h"
#include "pipeline/predict_output.h"
#include "pipeline/scene_stack.h"
#include "predict_fixture.h"

using namespace strata;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string& tiny_unet_checkpoint() {
  static TempDir dir;
  static const std::string path = test::write_test_checkpoint(dir / "unet.h5", test::tiny_unet(), 7);
  return path;
}

pipeline::PredictSummary predict(const pipeline::PredictOptions& o) {
  auto comm = dist::make_single_process();
  return pipeline::run_predict(o, *comm);
}

template <class T>
std::vector<T> read_all(const std::string& path) {
  const geo::Raster r = geo::Raster::open(path);
  std::vector<int> bands(static_cast<size_t>(r.band_count()));
  for (int b = 0; b < r.band_count(); ++b) bands[static_cast<size_t>(b)] = b;
  std::vector<T> v(static_cast<size_t>(r.band_count() * r.grid().width * r.grid().height));
  r.read(bands, r.grid().full(), v.data());
  return v;
}

std::string first_date_vrt(const std::string& out) { return out + "/S2_" + test::synth_date(0) + ".vrt"; }

TEST(Predict, TiledEqualsWholeImage) {
  TempDir dir;
  auto o = test::small_predict(tiny_unet_checkpoint(), dir / "tiled");
  o.probabilities = "float32";
  o.start = o.end = test::synth_date(0);
  const auto tiled = predict(o);
  EXPECT_EQ(tiled.tiles, 16);  // 384 / 96 = 4 x 4
  EXPECT_EQ(tiled.halo, 28);   // tiny U-Net: radius 26, rounded up to a multiple of 4
  o.out_dir = dir / "whole";
  o.tile = 384;
  predict(o);
  const auto a = read_all<float>(first_date_vrt(dir / "tiled")), b = read_all<float>(first_date_vrt(dir / "whole"));
  ASSERT_EQ(a.size(), b.size());
  const size_t plane = a.size() / pipeline::kPredictionBands;
  double worst = 0;
  int64_t labelled = 0, label_diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::isnan(a[i]), std::isnan(b[i])) << "nodata differs at " << i;
    if (!std::isnan(a[i])) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  }
  for (size_t i = pipeline::kLabelBand * plane; i < a.size(); ++i)
    if (!std::isnan(a[i])) ++labelled, label_diff += a[i] != b[i];
  // The same arithmetic on the same inputs; only the GEMM's blocking over a wider image may
  // change the order of a few additions.
  EXPECT_LT(worst, 1e-5) << "seams between tiles";
  EXPECT_GT(labelled, int64_t(plane / 2));
  EXPECT_LE(label_diff, labelled / 10000) << "labels differ at tile edges";
}

TEST(Predict, HaloBelowReceptiveFieldShowsSeams) {
  // The control for the test above: without enough context the tiles do differ.
  TempDir dir;
  auto o = test::small_predict(tiny_unet_checkpoint(), dir / "tiled");
  o.probabilities = "float32";
  o.start = o.end = test::synth_date(0);
  o.halo = 0;
  predict(o);
  o.out_dir = dir / "whole";
  o.tile = 384;
  predict(o);
  const auto a = read_all<float>(first_date_vrt(dir / "tiled")), b = read_all<float>(first_date_vrt(dir / "whole"));
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i])) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  EXPECT_GT(worst, 1e-3);
}

TEST(Predict, OutputsCarryBandNamesNodataScaleAndPalette) {
  TempDir dir;
  auto o = test::small_predict(tiny_unet_checkpoint(), dir / "pred");
  const auto s = predict(o);
  ASSERT_EQ(s.products.size(), 4u);  // a map per date
  EXPECT_TRUE(fs::exists(dir / "pred/predict.json"));
  const geo::Raster vrt = geo::Raster::open(s.products[0]);
  ASSERT_EQ(vrt.band_count(), 10);
  EXPECT_EQ(vrt.grid().width, 384);
  EXPECT_EQ(vrt.band_description(0), "water");
  EXPECT_EQ(vrt.band_description(8), "snow_and_ice");
  EXPECT_EQ(vrt.band_description(9), "label");
  for (int b = 0; b < 10; ++b) EXPECT_EQ(vrt.nodata(b), 255.0) << b;
  const auto palette = vrt.color_table(9);
  ASSERT_GE(palette.size(), 9u);
  EXPECT_EQ(palette[0].r, 0x41);  // water, Dynamic World's colour
  EXPECT_EQ(vrt.metadata_item("DATE"), test::synth_date(0));
  // A tile is a COG with the same bands, the model's hash and its inputs' fingerprint.
  const geo::Raster tile = geo::Raster::open(dir / ("pred/S2_" + test::synth_date(0) + "/r001_c002.tif"));
  EXPECT_EQ(tile.metadata_item("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  EXPECT_EQ(tile.band_description(4), "crops");
  EXPECT_EQ(tile.metadata_item(pipeline::kModelHashKey), s.model_hash);
  EXPECT_FALSE(tile.metadata_item(pipeline::kInputsKey).empty());
  // Probabilities of a valid pixel sum to 1 (within the 1/254 quantisation) and label is their argmax.
  const auto v = read_all<uint8_t>(s.products[0]);
  const size_t plane = v.size() / 10;
  int64_t checked = 0;
  for (size_t i = 0; i < plane; i += 97) {
    if (v[9 * plane + i] == 255) continue;
    int sum = 0, best = 0;
    for (int c = 0; c < 9; ++c) {
      sum += v[c * plane + i];
      if (v[c * plane + i] > v[best * plane + i]) best = c;
    }
    EXPECT_NEAR(sum, 254, 5);
    EXPECT_EQ(v[best * plane + i], v[static_cast<size_t>(v[9 * plane + i]) * plane + i]);
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(Predict, PixelsWithoutAClearObservationAreNodata) {
  TempDir dir;
  auto o = test::small_predict(tiny_unet_checkpoint(), dir / "pred");
  const auto s = predict(o);
  // The scene's own mask, read the way predict reads it.
  pipeline::StackOptions so;
  so.bands = {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"};
  so.scene.harmonize = geo::Harmonize::no;
  const auto inputs = pipeline::resolve_scenes(o.scenes, dir / "stac");
  const pipeline::SceneStack stack(inputs, so);
  int64_t nodata_total = 0;
  for (int64_t sc = 0; sc < stack.size(); ++sc) {
    const auto sw = stack.read(sc, stack.grid().full());
    const auto v = read_all<uint8_t>(s.products[static_cast<size_t>(sc)]);
    const size_t plane = v.size() / 10;
    int64_t mismatched = 0;
    for (size_t i = 0; i < plane; ++i) {
      const bool clear = geo::is_clear(sw.mask[i]);
      mismatched += clear != (v[9 * plane + i] != 255);
      nodata_total += !clear;
    }
    EXPECT_EQ(mismatched, 0) << inputs[static_cast<size_t>(sc)].path;
  }
  EXPECT_GT(nodata_total, 1000) << "the synthetic series should have clouds";
}

TEST(Predict, RerunSkipsCurrentTilesAndRedoesWhatChanged) {
  TempDir dir;
  auto o = test::small_predict(tiny_unet_checkpoint(), dir / "pred");
  o.start = o.end = test::synth_date(1);
  const auto first = predict(o);
  EXPECT_EQ(first.computed, 16);
  EXPECT_EQ(first.skipped, 0);
  const auto before = read_all<uint8_t>(first.products[0]);

  const auto again = predict(o);
  EXPECT_EQ(again.computed, 0);
  EXPECT_EQ(again.skipped, 16);

  // A lost tile is made again, identical.
  const std::string tile = dir / ("pred/S2_" + test::synth_date(1) + "/r002_c003.tif");
  fs::remove(tile);
  const auto repaired = predict(o);
  EXPECT_EQ(repaired.computed, 1);
  EXPECT_EQ(read_all<uint8_t>(first.products[0]), before);

  // A new model changes the hash: everything is redone, and the maps change.
  o.model = test::write_test_checkpoint(dir / "other.h5", test::tiny_unet(), 8);
  const auto redone = predict(o);
  EXPECT_EQ(redone.computed, 16);
  EXPECT_NE(redone.model_hash, first.model_hash);
  EXPECT_NE(read_all<uint8_t>(first.products[0]), before);

  // --force redoes work that is current.
  o.force = true;
  EXPECT_EQ(predict(o).computed, 16);
}

TEST(Predict, KilledRunIsFinishedByARerun) {
  TempDir dir;
  const std::string out = dir / "pred";
  // sample-fcn (halo 4) on small tiles: many cheap tiles, so the kill lands mid-run.
  const std::string ckpt = test::write_test_checkpoint(dir / "fcn.h5", nn::sample_fcn_config(), 2);
  const std::string common = "predict --model " + ckpt + " --scenes '" + test::synth_dir() + "/S2_*.tif' --tile 48 --harmonize no";
  const std::string args = common + " --out " + out + " --quiet";
  // Kill the first run with SIGKILL (no chance to clean up) once it has written a few tiles.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", (std::string("exec ") + STRATA_BINARY + " " + args).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string first_dir = out + "/S2_" + test::synth_date(0);
  auto tiles_done = [&] {
    int n = 0;
    std::error_code ec;
    if (fs::is_directory(first_dir, ec))
      for (const auto& e : fs::directory_iterator(first_dir, ec)) n += e.path().extension() == ".tif";
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (tiles_done() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  EXPECT_FALSE(fs::exists(out + "/predict.json"));

  const auto rerun = test::run_strata(args.substr(0, args.size() - 8));  // without --quiet: it reports
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("already current"), std::string::npos) << rerun.output;
  EXPECT_EQ(rerun.output.find(" 0 already current"), std::string::npos) << "the rerun should keep finished tiles";
  // Nothing half-written remains, and the result is what an uninterrupted run gives.
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
  const std::string clean = dir / "clean";
  const auto whole = test::run_strata(common + " --out " + clean + " --quiet");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  for (int d = 0; d < 4; ++d) {
    const std::string name = "/S2_" + test::synth_date(d) + ".vrt";
    EXPECT_EQ(read_all<uint8_t>(out + name), read_all<uint8_t>(clean + name)) << name;
  }
}

TEST(Predict, CompositeGivesOneMap) {
  TempDir dir;
  auto o = test::small_predict(tiny_unet_checkpoint(), dir / "pred");
  o.composite = "median";
  const auto s = predict(o);
  ASSERT_EQ(s.products.size(), 1u);
  EXPECT_EQ(fs::path(s.products[0]).filename(), "composite.vrt");
  const auto v = read_all<uint8_t>(s.products[0]);
  const size_t plane = v.size() / 10;
  int64_t nodata = 0;
  for (size_t i = 0; i < plane; ++i) nodata += v[9 * plane + i] == 255;
  // Four dates leave few pixels never seen clear.
  EXPECT_LT(nodata, int64_t(plane / 20));
}

TEST(Predict, SampleFcnWithOddTiles) {
  // sample-fcn has no pooling: any tile size works; 100 does not divide 384.
  TempDir dir;
  const std::string ckpt = test::write_test_checkpoint(dir / "fcn.h5", nn::sample_fcn_config(), 3);
  auto o = test::small_predict(ckpt, dir / "pred");
  o.start = o.end = test::synth_date(2);
  o.tile = 100;
  o.probabilities = "float32";
  const auto s = predict(o);
  EXPECT_EQ(s.tiles, 16);
  EXPECT_EQ(s.halo, 4);
  o.out_dir = dir / "whole";
  o.tile = 512;
  predict(o);
  const auto a = read_all<float>(s.products[0]), b = read_all<float>(dir / "whole" + "/S2_" + test::synth_date(2) + ".vrt");
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!std::isnan(a[i])) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  EXPECT_LT(worst, 1e-5);
}

TEST(Predict, TensorCorePrecisionsNeedTheCudaDevice) {
  TempDir dir;
  auto o = test::small_predict(dir / "missing.h5", dir / "pred");
  o.precision = "tf32";
  try {
    predict(o);
    FAIL() << "--precision tf32 ran on the CPU";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--precision tf32 needs --device cuda"), std::string::npos) << e.what();
  }
}

TEST(Predict, BadInputsGiveClearErrors) {
  TempDir dir;
  // The model wants a band the scene does not have.
  const std::string three = dir / "S2_2021-06-01.tif";
  geo::Grid g;
  g.width = g.height = 64;
  g.transform = {500000, 10, 0, 5000000, 0, -10};
  g.crs_wkt = geo::crs_wkt_from_epsg(32631);
  geo::WriteOptions wo;
  wo.band_descriptions = {"B2", "B3", "B4"};
  std::vector<uint16_t> dn(3 * 64 * 64, 900);
  geo::write_raster(three, g, 3, dn.data(), wo);
  const std::string wants_b8 = test::write_test_checkpoint(dir / "b8.h5", nn::sample_fcn_config(), 1, {"B2", "B3", "B4", "B8"});
  auto o = test::small_predict(wants_b8, dir / "pred");
  o.scenes = {three};
  try {
    predict(o);
    FAIL() << "a band mismatch was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("B8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(three), std::string::npos) << e.what();
  }
  // Not a checkpoint.
  test::write_text(dir / "junk.h5", "not hdf5");
  o = test::small_predict(dir / "junk.h5", dir / "pred");
  try {
    predict(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.h5"), std::string::npos) << e.what();
  }
  // An output directory that cannot be made.
  test::write_text(dir / "file", "x");
  const auto r = test::run_strata("predict --model " + tiny_unet_checkpoint() + " --scenes '" + test::synth_dir() +
                                  "/S2_*.tif' --out " + (dir / "file/pred"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("strata: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("file/pred"), std::string::npos) << r.output;
  // --device cuda where there is no GPU (or no CUDA build): the reason, not a crash.
  if (nn::available_devices().size() == 1) {
    const auto c = test::run_strata("predict --model " + tiny_unet_checkpoint() + " --scenes '" + test::synth_dir() +
                                    "/S2_*.tif' --out " + (dir / "p3") + " --device cuda");
    EXPECT_EQ(c.exit_code, 1) << c.output;
    EXPECT_NE(c.output.find("--device cuda"), std::string::npos) << c.output;
    EXPECT_EQ(test::count_lines(c.output), 1) << c.output;
  }
  // A tile size unet-small cannot use.
  const auto t = test::run_strata("predict --model " + tiny_unet_checkpoint() + " --scenes '" + test::synth_dir() +
                                  "/S2_*.tif' --out " + (dir / "p2") + " --tile 90");
  EXPECT_EQ(t.exit_code, 2) << t.output;
  EXPECT_NE(t.output.find("multiple of 4"), std::string::npos) << t.output;
}

}  // namespace
