// strata prepare end to end on synthetic scenes: shards, attributes, balance, disjoint splits,
// resume, and clean errors on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "dist/communicator.h"
#include "geo/raster.h"
#include "nn/model.h"
#include "pipeline/synth.h"
#include "prepare_fixture.h"
#include "store/shard.h"

using namespace strata;
using namespace strata::pipeline;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> shard_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("shard-", 0) == 0) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Prepare, ShardsManifestBalanceAndDisjointSplits) {
  TempDir dir;
  auto comm = dist::make_single_process();
  const PrepareOptions o = test::small_prepare(dir / "ds");
  const PrepareSummary s = run_prepare(o, *comm);

  const auto files = shard_files(dir / "ds");
  ASSERT_EQ(files.size(), s.shards.size());
  EXPECT_FALSE(fs::exists(dir / "ds/.work")) << "scratch must be removed at the end";
  int64_t train = 0, val = 0;
  std::set<std::pair<int64_t, int64_t>> train_pos, val_pos;
  std::array<int64_t, kNumClasses> majority{};
  for (const auto& f : files) {
    const store::ShardReader r(f);
    // By default the nine bands that L1C and L2A both have (Dynamic World's).
    EXPECT_EQ(r.header().band_names, nn::dynamic_world_bands());
    EXPECT_EQ(r.header().patch_size, 32);
    EXPECT_EQ(r.header().class_names.size(), 9u);
    EXPECT_EQ(r.header().norm_mean.size(), 9u);
    EXPECT_EQ(r.header().norm_mean, s.norm_mean);
    EXPECT_EQ(geo::crs_epsg(r.header().crs_wkt) / 100, 326);  // UTM north
    std::vector<uint16_t> in(13 * 32 * 32);
    std::vector<uint8_t> lab(32 * 32);
    for (int64_t i = 0; i < r.size(); ++i) {
      r.read(i, in.data(), lab.data());
      const auto origin = r.origin(i);
      (r.header().split == "train" ? train_pos : val_pos).insert({origin[1], origin[2]});
      std::array<int64_t, kNumClasses> h{};
      for (uint8_t c : lab) {
        ASSERT_TRUE(c < kNumClasses || c == kIgnoreLabel);
        if (c < kNumClasses) ++h[c];
      }
      ++majority[static_cast<size_t>(std::max_element(h.begin(), h.end()) - h.begin())];
      // Reflectance, not zeros: the median of band B4 in a labelled patch is a plausible DN.
      std::vector<uint16_t> red(in.begin() + 3 * 1024, in.begin() + 4 * 1024);
      std::nth_element(red.begin(), red.begin() + 512, red.end());
      EXPECT_GT(red[512], 50);
      EXPECT_LT(red[512], 8000);
    }
    (r.header().split == "train" ? train : val) += r.size();
  }
  EXPECT_EQ(train + val, 120);
  EXPECT_EQ(val, 12);
  // Spatially disjoint: no validation patch overlaps a training patch.
  for (const auto& v : val_pos)
    for (const auto& t : train_pos)
      ASSERT_FALSE(std::abs(v.first - t.first) < 32 && std::abs(v.second - t.second) < 32);
  // Balanced: no class takes more than half the patches, and at least five classes appear.
  int present = 0;
  for (int64_t m : majority) {
    EXPECT_LE(m, 60);
    present += m > 0;
  }
  EXPECT_GE(present, 5);

  std::ifstream in(dir / "ds/manifest.json");
  const auto m = nlohmann::json::parse(in);
  EXPECT_EQ(m["format"], "strata-patch-shards");
  EXPECT_EQ(m["splits"]["train"]["patches"], 108);
  EXPECT_EQ(m["shards"].size(), files.size());
  EXPECT_EQ(m["sources"]["scenes"].size(), 4u);
  // The synthetic scenes are L1C of 2021, as ESA made them: a filled QA60 and no SCL.
  EXPECT_EQ(m["sources"]["scenes"][0]["cloud_mask"].get<std::string>(), "QA60");
  EXPECT_EQ(m["bands"][8], "B12");
  EXPECT_FALSE(class_histogram_table(s).empty());
}

TEST(Prepare, ResumesAfterAnInterruption) {
  TempDir dir;
  auto comm = dist::make_single_process();
  const PrepareOptions o = test::small_prepare(dir / "ds");
  run_prepare(o, *comm);
  const auto files = shard_files(dir / "ds");
  ASSERT_GE(files.size(), 3u);
  std::vector<uintmax_t> sizes;
  for (const auto& f : files) sizes.push_back(fs::file_size(f));

  // What a kill leaves: no manifest, the state file, a half-written temporary, some shards missing.
  fs::remove(dir / "ds/manifest.json");
  fs::create_directories(dir / "ds/.work");
  // The run's identity, as the killed run left it.
  const auto hash = store::ShardReader(files[0]).header().config_hash;
  std::ofstream(dir / "ds/.work/state.json") << nlohmann::json{{"config_hash", hash}}.dump();
  std::ofstream(files[1] + ".tmp-999-0") << "partial";
  fs::remove(files[1]);
  fs::remove(files[2]);
  const auto kept_mtime = fs::last_write_time(files[0]);

  run_prepare(o, *comm);  // no --overwrite: it must resume
  EXPECT_TRUE(fs::exists(dir / "ds/manifest.json"));
  const auto again = shard_files(dir / "ds");
  ASSERT_EQ(again.size(), files.size());
  EXPECT_EQ(fs::last_write_time(files[0]), kept_mtime) << "a complete shard was rewritten";
  for (size_t i = 0; i < files.size(); ++i) EXPECT_EQ(fs::file_size(again[i]), sizes[i]) << again[i];
}

TEST(PrepareErrors, ExistingOutputNeedsOverwrite) {
  TempDir dir;
  auto comm = dist::make_single_process();
  PrepareOptions o = test::small_prepare(dir / "ds");
  fs::create_directories(dir / "ds");
  std::ofstream(dir / "ds/notes.txt") << "mine";
  EXPECT_THROW(run_prepare(o, *comm), Error);
  EXPECT_TRUE(fs::exists(dir / "ds/notes.txt"));
  run_prepare(test::small_prepare(dir / "ok"), *comm);
  EXPECT_THROW(run_prepare(test::small_prepare(dir / "ok"), *comm), Error) << "a finished dataset is not redone silently";
  o = test::small_prepare(dir / "ok");
  o.overwrite = true;
  EXPECT_NO_THROW(run_prepare(o, *comm));
}

TEST(PrepareErrors, LabelsThatDoNotOverlap) {
  TempDir dir;
  // The synthetic labels moved 100 km east.
  const geo::Raster src = geo::Raster::open(test::synth_dir() + "/worldcover_" + test::synth_date(1) + ".tif");
  geo::Grid g = src.grid();
  g.transform[0] += 100000.0;
  std::vector<uint8_t> codes(static_cast<size_t>(g.width * g.height));
  src.read({0}, src.grid().full(), codes.data());
  geo::WriteOptions wo;
  wo.type = geo::DataType::u8;
  wo.nodata = 0;
  geo::write_raster(dir / "far.tif", g, 1, codes.data(), wo);
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.labels = dir / "far.tif";
  auto comm = dist::make_single_process();
  try {
    run_prepare(o, *comm);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("far.tif: no labelled pixel"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "ds/manifest.json"));
}

// One dataset from L1C and L2A scenes of the same ground: each scene's level in the manifest, and
// the nine default bands from both; a composite of the two levels is refused.
TEST(Prepare, MixedLevelsAreRecordedAndNotComposited) {
  test::TempDir dir;
  pipeline::SynthOptions so;
  so.out_dir = dir / "l2a";
  so.size = 384;
  so.dates = 4;
  so.seed = 11;  // the grid of the fixture's L1C series
  so.level = geo::s2::Level::l2a;
  so.threads = 1;
  pipeline::run_synth(so);
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.scenes = {test::synth_dir() + "/S2_" + test::synth_date(1) + ".tif", dir / ("l2a/S2_" + test::synth_date(2) + ".tif")};
  o.composite = "none";
  auto comm = dist::make_single_process();
  run_prepare(o, *comm);
  std::ifstream in(dir / "ds/manifest.json");
  const auto m = nlohmann::json::parse(in);
  EXPECT_EQ(m["processing_levels"], nlohmann::json::array({"L1C", "L2A"}));
  EXPECT_EQ(m["sources"]["scenes"][0]["processing_level"], "L1C");
  EXPECT_EQ(m["sources"]["scenes"][1]["processing_level"], "L2A");
  EXPECT_EQ(m["sources"]["scenes"][1]["cloud_mask"], "SCL");
  EXPECT_EQ(m["bands"], nlohmann::json(nn::dynamic_world_bands()));

  o.composite = "median";
  o.out_dir = dir / "ds2";
  try {
    run_prepare(o, *comm);
    FAIL() << "a composite of L1C and L2A scenes must be refused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is L2A but"), std::string::npos) << e.what();
  }
}

TEST(PrepareErrors, SceneWithoutTheBands) {
  TempDir dir;
  geo::Grid g = geo::Raster::open(test::synth_dir() + "/S2_" + test::synth_date(1) + ".tif").grid();
  std::vector<uint16_t> v(static_cast<size_t>(4 * g.width * g.height), 1000);
  geo::WriteOptions wo;
  wo.band_descriptions = {"B2", "B3", "B4", "B8"};
  geo::write_raster(dir / "S2_2021-06-01.tif", g, 4, v.data(), wo);
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.scenes.push_back(dir / "S2_2021-06-01.tif");
  auto comm = dist::make_single_process();
  try {
    run_prepare(o, *comm);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("S2_2021-06-01.tif: has no band B5"), std::string::npos) << e.what();
  }
}

TEST(PrepareErrors, AllCloudScenes) {
  TempDir dir;
  // Copy one synthetic scene with a QA60 that says opaque cloud everywhere.
  const std::string src = test::synth_dir() + "/S2_" + test::synth_date(1);
  fs::copy_file(src + ".tif", dir / "S2_2021-05-16.tif");
  const geo::Raster qa = geo::Raster::open(src + "_QA.tif");
  std::vector<uint16_t> v(static_cast<size_t>(2 * qa.grid().width * qa.grid().height), 1024);
  geo::WriteOptions wo;
  wo.band_descriptions = {"QA60", "SCL"};
  geo::write_raster(dir / "S2_2021-05-16_QA.tif", qa.grid(), 2, v.data(), wo);
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.scenes = {dir / "S2_2021-05-16.tif"};
  auto comm = dist::make_single_process();
  try {
    run_prepare(o, *comm);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("every scene is cloud-covered"), std::string::npos) << e.what();
  }
  // Beside clear scenes, the cloudy one is skipped with a warning.
  o.scenes = {dir / "S2_2021-05-16.tif", test::synth_dir() + "/S2_" + test::synth_date(2) + ".tif"};
  o.out_dir = dir / "ds2";
  const auto s = run_prepare(o, *comm);
  ASSERT_EQ(s.cloudy_scenes.size(), 1u);
  EXPECT_EQ(s.cloudy_scenes[0], dir / "S2_2021-05-16.tif");
}

TEST(PrepareErrors, DateWindowAndBadOptions) {
  TempDir dir;
  auto comm = dist::make_single_process();
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.start = "2030-01-01";
  EXPECT_THROW(run_prepare(o, *comm), Error);
  o = test::small_prepare(dir / "ds");
  o.composite = "mean";
  EXPECT_THROW(run_prepare(o, *comm), UsageError);
  o = test::small_prepare(dir / "ds");
  o.sampling.val_fraction = 1.5;
  EXPECT_THROW(run_prepare(o, *comm), UsageError);
}

TEST(Prepare, NoCompositeKeepsEachSceneAndItsDate) {
  TempDir dir;
  auto comm = dist::make_single_process();
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.composite = "none";
  o.start = "2021-03-01";
  o.end = "2021-12-31";
  const auto s = run_prepare(o, *comm);
  std::set<int64_t> scenes_seen;
  for (const auto& f : shard_files(dir / "ds")) {
    const store::ShardReader r(f);
    EXPECT_EQ(r.header().scenes.size(), 3u);  // April, July, October
    for (int64_t i = 0; i < r.size(); ++i) scenes_seen.insert(r.origin(i)[0]);
  }
  EXPECT_GE(scenes_seen.size(), 2u);
}

}  // namespace

namespace {

// The real Sen1Floods11 chip (L1C, 13 bands, EPSG:4326, no QA band: the spectral cloud test) with
// its hand-labelled water mask mapped through a user's scheme table.
TEST(PrepareReal, Sen1Floods11WaterPatches) {
  if (!test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  test::write_text(dir / "water.csv", "code,class,description\n0,ignore,not water (any other class)\n1,water,\n255,ignore,no data\n");
  PrepareOptions o;
  o.scenes = {test::real_data("sen1floods11-spain/S2_L1C_20190918.tif")};
  o.labels = test::real_data("sen1floods11-spain/label_water.tif");
  o.label_scheme = dir / "water.csv";
  o.out_dir = dir / "ds";
  o.sampling.patch = 64;
  o.sampling.patches = 20;
  o.sampling.min_labelled = 0.2;
  o.stack.scene.harmonize = geo::Harmonize::no;
  auto comm = dist::make_single_process();
  const PrepareSummary s = run_prepare(o, *comm);
  ASSERT_FALSE(s.shards.empty());
  EXPECT_EQ(s.mask_sources[0], "spectral");
  int64_t water = 0, total = 0;
  for (const auto& sh : s.shards) {
    water += sh.class_pixels[0];
    for (auto v : sh.class_pixels) total += v;
  }
  EXPECT_GT(water, total / 5) << "patches are drawn where the water labels are";
  const store::ShardReader r(dir / "ds/shard-00000.h5");
  EXPECT_EQ(r.header().band_names.size(), 9u);
  EXPECT_EQ(geo::crs_epsg(r.header().crs_wkt), 4326);
}

}  // namespace

namespace {

TEST(Prepare, SceneInAnotherCrsIsReprojectedOntoTheFirst) {
  if (std::system("gdalwarp --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "gdalwarp (gdal-bin) not installed";
  TempDir dir;
  const std::string d = test::synth_date(2);
  const int epsg = geo::crs_epsg(geo::Raster::open(test::synth_dir() + "/S2_" + d + ".tif").grid().crs_wkt);
  const std::string other = "EPSG:" + std::to_string(epsg + 1);  // the next UTM zone
  for (const std::string suffix : {"", "_QA"}) {
    const std::string cmd = "gdalwarp -q -t_srs " + other + " -r near " + test::synth_dir() + "/S2_" + d + suffix +
                            ".tif " + (dir / ("S2_" + d + suffix + ".tif"));
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.scenes = {test::synth_dir() + "/S2_" + test::synth_date(1) + ".tif", dir / ("S2_" + d + ".tif")};
  auto comm = dist::make_single_process();
  const PrepareSummary s = run_prepare(o, *comm);
  EXPECT_EQ(s.scenes_used, 2);
  const store::ShardReader r(dir / "ds/shard-00000.h5");
  EXPECT_EQ(geo::crs_epsg(r.header().crs_wkt), epsg) << "the first scene's grid is the reference";
}

}  // namespace

namespace {

TEST(PrepareErrors, TruncatedSceneNamesTheFile) {
  TempDir dir;
  const std::string d = test::synth_date(1);
  fs::copy_file(test::synth_dir() + "/S2_" + d + ".tif", dir / ("S2_" + d + ".tif"));
  fs::copy_file(test::synth_dir() + "/S2_" + d + "_QA.tif", dir / ("S2_" + d + "_QA.tif"));
  fs::resize_file(dir / ("S2_" + d + ".tif"), fs::file_size(dir / ("S2_" + d + ".tif")) / 2);
  PrepareOptions o = test::small_prepare(dir / "ds");
  o.scenes = {dir / ("S2_" + d + ".tif")};
  auto comm = dist::make_single_process();
  try {
    run_prepare(o, *comm);
    FAIL() << "a truncated scene was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("S2_" + d + ".tif"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "ds/manifest.json"));
}

}  // namespace
