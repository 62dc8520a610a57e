#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "geo/raster.h"
#include "geo/scene.h"
#include "pipeline/scene_inputs.h"
#include "test_util.h"

using namespace strata;
using namespace strata::pipeline;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

void tiny_scene(const std::string& path, const std::map<std::string, std::string>& md = {}) {
  geo::Grid g;
  g.width = g.height = 4;
  g.transform = {500000, 10, 0, 4000000, 0, -10};
  g.crs_wkt = geo::crs_wkt_from_epsg(32633);
  std::vector<uint16_t> v(2 * 16, 900);
  geo::WriteOptions o;
  o.band_descriptions = {"B4", "B8"};
  o.metadata = md;
  geo::write_raster(path, g, 2, v.data(), o);
}

TEST(SceneInputs, GlobListDirectoryAndDates) {
  TempDir dir;
  fs::create_directories(dir.path() / "s");
  tiny_scene(dir / "s/S2_2021-06-03.tif");
  tiny_scene(dir / "s/S2_2021-06-03_QA.tif");
  tiny_scene(dir / "s/T31UFS_20210715T104031.tif");
  tiny_scene(dir / "s/plain.tif", {{"ACQUISITION_DATE", "2021-08-09"}});

  const auto globbed = resolve_scenes({dir / "s/*.tif"}, dir / "work");
  ASSERT_EQ(globbed.size(), 3u) << "the _QA sibling is not a scene";
  EXPECT_EQ(globbed[0].date, "2021-06-03");
  EXPECT_EQ(globbed[0].qa_path, dir / "s/S2_2021-06-03_QA.tif");
  EXPECT_EQ(globbed[1].date, "2021-07-15");
  EXPECT_EQ(globbed[2].date, "2021-08-09");  // from metadata
  EXPECT_EQ(resolve_scenes({dir / "s"}, dir / "work").size(), 3u);

  strata::test::write_text(dir / "list.txt", "# my scenes\ns/plain.tif\n\ns/S2_2021-06-03.tif\n");
  const auto listed = resolve_scenes({dir / "list.txt"}, dir / "work");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].path, dir / "s/plain.tif");

  const auto june = filter_by_date(globbed, "2021-06-01", "2021-06-30");
  ASSERT_EQ(june.size(), 1u);
  EXPECT_EQ(june[0].id, "S2_2021-06-03");
  EXPECT_EQ(filter_by_date(globbed, "", "").size(), 3u);

  tiny_scene(dir / "undated.tif");
  EXPECT_THROW(filter_by_date(resolve_scenes({dir / "undated.tif"}, dir / "work"), "2021-01-01", ""), Error);
  EXPECT_THROW(resolve_scenes({dir / "s/*.jp2"}, dir / "work"), Error);
  EXPECT_THROW(check_date("2021-13-01", "--start"), UsageError);
  EXPECT_NO_THROW(check_date("2021-12-31", "--end"));
}

nlohmann::json bigearthnet_item(const std::string& patch, const std::string& href_prefix) {
  nlohmann::json assets = nlohmann::json::object();
  for (const char* b : {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"})
    assets[b] = {{"href", href_prefix + patch + "_" + b + ".tif"}, {"type", "image/tiff"}};
  assets["thumbnail"] = {{"href", "thumb.png"}};
  return {{"type", "Feature"},
          {"id", patch},
          {"properties", {{"datetime", "2017-06-13T10:10:31Z"}, {"s2:processing_baseline", "02.05"}}},
          {"assets", assets}};
}

TEST(Stac, ItemCollectionOfLocalBandFilesBecomesOneScene) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  const std::string patch = "S2A_MSIL2A_20170613T101031_87_48";
  const std::string native = strata::test::real_data("bigearthnet-s2-patches/native/" + patch + "/");
  const nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", {bigearthnet_item(patch, native)}}};
  strata::test::write_text(dir / "items.json", fc.dump());

  const auto scenes = resolve_scenes({dir / "items.json"}, dir / "work");
  ASSERT_EQ(scenes.size(), 1u);
  EXPECT_EQ(scenes[0].date, "2017-06-13");
  EXPECT_EQ(scenes[0].id, patch);
  const geo::Scene s = geo::Scene::open(scenes[0].path);
  EXPECT_EQ(s.band_names().size(), 12u);
  EXPECT_EQ(s.grid().width, 120);  // the finest (10 m) grid
  EXPECT_EQ(s.processing_baseline(), "02.05");
  EXPECT_FALSE(s.harmonized());
  // 10 m bands pass through unchanged.
  const auto b02 = geo::Raster::open(native + patch + "_B02.tif");
  std::vector<uint16_t> want(120 * 120);
  b02.read({0}, b02.grid().full(), want.data());
  EXPECT_EQ(s.read({"B2"}, s.grid().full()).vec(), want);
  // 20 m bands are interpolated bilinearly, not replicated: close to the replicated stack, not equal.
  const geo::Scene stacked = geo::Scene::open(strata::test::real_data("bigearthnet-s2-patches/stacked/" + patch + ".tif"));
  const auto replicated = stacked.read({"B5"}, stacked.grid().full()).vec();
  const auto interpolated = s.read({"B5"}, s.grid().full()).vec();
  int64_t differ = 0;
  double mean_abs = 0;
  for (size_t i = 0; i < replicated.size(); ++i) {
    differ += replicated[i] != interpolated[i];
    mean_abs += std::abs(int(replicated[i]) - int(interpolated[i]));
  }
  EXPECT_GT(differ, static_cast<int64_t>(replicated.size() / 4));
  EXPECT_LT(mean_abs / static_cast<double>(replicated.size()), 150.0);
}

TEST(Stac, AssetsOverHttp) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  const std::string patch = "S2A_MSIL2A_20170613T101031_87_48";
  strata::test::HttpServer server(strata::test::real_data("bigearthnet-s2-patches/native/" + patch));
  if (server.port() == 0) GTEST_SKIP() << "could not start the local HTTP server";
  strata::test::write_text(dir / "item.json", bigearthnet_item(patch, server.url("")).dump());
  const auto scenes = resolve_scenes({dir / "item.json"}, dir / "work");
  ASSERT_EQ(scenes.size(), 1u);
  const geo::Scene s = geo::Scene::open(scenes[0].path);
  EXPECT_EQ(s.band_names().size(), 12u);
  const auto t = s.read({"B8"}, {10, 10, 4, 4});
  EXPECT_GT(t[0], 0);
}

TEST(Stac, MalformedDocumentsAreErrors) {
  TempDir dir;
  strata::test::write_text(dir / "bad.json", "{not json");
  EXPECT_THROW(resolve_scenes({dir / "bad.json"}, dir / "work"), Error);
  strata::test::write_text(dir / "other.json", R"({"type": "Catalog"})");
  EXPECT_THROW(resolve_scenes({dir / "other.json"}, dir / "work"), Error);
  strata::test::write_text(dir / "noband.json", R"({"type": "Feature", "id": "x", "properties": {}, "assets": {"thumbnail": {"href": "t.png"}}})");
  EXPECT_THROW(resolve_scenes({dir / "noband.json"}, dir / "work"), Error);
}

}  // namespace
