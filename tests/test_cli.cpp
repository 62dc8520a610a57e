// The strata binary as a user runs it: exit codes, one-line errors, outputs on disk.
#include <gtest/gtest.h>

#include <filesystem>

#include "geo/raster.h"
#include "test_util.h"

using strata::test::run_strata;
using strata::test::TempDir;

namespace {

bool one_error_line(const std::string& out) {
  return out.rfind("strata: error: ", 0) == 0 && strata::test::count_lines(out) == 1;
}

TEST(Cli, InfoListsBackendsAndLibraries) {
  const auto r = run_strata("info");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"strata 0.", "backends built: cpu", "GDAL", "HDF5", "MPI", "NCCL", "cuDNN", "OpenBLAS", "git "})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  const auto j = run_strata("info --json");
  ASSERT_EQ(j.exit_code, 0);
  EXPECT_NE(j.output.find("\"libraries\""), std::string::npos);
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(run_strata("").exit_code, 2);
  EXPECT_EQ(run_strata("frobnicate").exit_code, 2);
  const auto r = run_strata("info --no-such-option");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_EQ(run_strata("render --out x.png").exit_code, 2);  // --input missing
  EXPECT_EQ(run_strata("render --input a.tif --out x.png --max-size ten").exit_code, 2);
  EXPECT_EQ(run_strata("info --help").exit_code, 0);
}

TEST(Cli, MissingInputIsOneLineExit1) {
  TempDir dir;
  const auto r = run_strata("render --input /nonexistent/scene.tif --out " + (dir / "q.png"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "strata: error: /nonexistent/scene.tif: no such file\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "q.png"));
}

TEST(Cli, NotARasterIsOneLineExit1) {
  TempDir dir;
  strata::test::write_text(dir / "x.tif", "garbage");
  const auto r = run_strata("render --input " + (dir / "x.tif") + " --out " + (dir / "q.png"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find(dir / "x.tif"), std::string::npos);
}

TEST(Cli, RendersRealSceneAndLabels) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  auto r = run_strata("render --input " + strata::test::real_data("sen1floods11-spain/S2_L1C_20190918.tif") +
                      " --out " + (dir / "scene.png") + " --max-size 256");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto png = strata::geo::Raster::open(dir / "scene.png");
  EXPECT_EQ(png.band_count(), 4);
  EXPECT_EQ(png.grid().width, 256);

  r = run_strata("render --input " + strata::test::real_data("worldcover-saotome/ESA_WorldCover_10m_2021_v200_SaoTome_Map.tif") +
                 " --out " + (dir / "labels.png"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(strata::geo::Raster::open(dir / "labels.png").grid().height, 1024);
}

}  // namespace

namespace {

TEST(Cli, LabelsMapsWorldCoverToDynamicWorld) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  const auto r = run_strata("labels --input " +
                            strata::test::real_data("worldcover-saotome/ESA_WorldCover_10m_2020_v100_SaoTome_Map.tif") +
                            " --out " + (dir / "dw.tif"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trees"), std::string::npos);
  const auto out = strata::geo::Raster::open(dir / "dw.tif");
  EXPECT_EQ(out.band_description(0), "label");
  EXPECT_EQ(out.nodata(0), 255.0);
  EXPECT_EQ(out.color_table(0).size() >= 9, true);
  EXPECT_EQ(out.metadata_item("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  EXPECT_EQ(out.metadata_item("CLASS_8"), "snow_and_ice");
}

TEST(Cli, UnknownLabelCodeIsOneLineExit1AndWritesNothing) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  // Real WorldCover codes (10..95) read through the identity scheme (0..8) are unknown.
  const std::string in = strata::test::real_data("worldcover-saotome/ESA_WorldCover_10m_2021_v200_SaoTome_Map.tif");
  const auto r = run_strata("labels --input " + in + " --label-scheme identity --out " + (dir / "dw.tif"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find(in + ": label code"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "a partial output was left behind";
}

TEST(Cli, WrongBandCountForLabels) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  TempDir dir;
  const auto r = run_strata("labels --input " + strata::test::real_data("sen1floods11-spain/S2_L1C_20190918.tif") +
                            " --out " + (dir / "dw.tif"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find("has 13"), std::string::npos) << r.output;
}

}  // namespace

namespace {

TEST(Cli, PrepareUsageAndRuntimeErrors) {
  TempDir dir;
  auto r = run_strata("prepare --scenes 'x/*.tif' --out " + (dir / "ds"));  // --labels missing
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  r = run_strata("prepare --scenes '" + (dir / "none/*.tif") + "' --labels l.tif --out " + (dir / "ds"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find("matches no scenes"), std::string::npos) << r.output;
  r = run_strata("prepare --scenes a.tif --labels l.tif --out " + (dir / "ds") + " --composite mean");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_strata("prepare --scenes a.tif --labels l.tif --out " + (dir / "ds") + " --start 2021-02-30x");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
