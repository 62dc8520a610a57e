// `strata synth` as a user runs it: outputs on disk, usage errors exit 2 with one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "geo/raster.h"
#include "test_util.h"

using strata::test::run_strata;
using strata::test::TempDir;

namespace {

TEST(CliSynth, WritesTheSeriesAndRefusesToClobber) {
  TempDir dir;
  const std::string out = dir / "series";
  const auto r = run_strata("synth --out " + out + " --size 96 --dates 2 --seed 5 --epsg 32633 --start 2020-06-01");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"S2_2020-06-01.tif", "S2_2020-06-01_QA.tif", "labels_2020-06-01.tif", "worldcover_2020-06-01.tif",
                        "S2_2020-11-30.tif", "synth.json"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  const auto s2 = strata::geo::Raster::open(out + "/S2_2020-06-01.tif");
  EXPECT_EQ(s2.band_count(), 13);
  EXPECT_EQ(strata::geo::crs_epsg(s2.grid().crs_wkt), 32633);
  EXPECT_EQ(s2.grid().width, 96);

  const auto again = run_strata("synth --out " + out + " --size 96 --dates 2");
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("--overwrite"), std::string::npos) << again.output;
  EXPECT_EQ(run_strata("synth --out " + out + " --size 96 --dates 2 --overwrite --events none").exit_code, 0);
  std::ifstream json(out + "/synth.json");
  const std::string text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"active\": false"), std::string::npos) << "--events none still placed an event";
}

TEST(CliSynth, BadArgumentsAreUsageErrors) {
  TempDir dir;
  const std::string out = dir / "x";
  for (const std::string& bad : {std::string("synth"), "synth --out " + out + " --size 63", "synth --out " + out + " --dates 0",
                                 "synth --out " + out + " --events fire,hail", "synth --out " + out + " --start 2021-13-01",
                                 "synth --out " + out + " --epsg 4326", "synth --out " + out + " --seed -1"}) {
    const auto r = run_strata(bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.output;
    EXPECT_EQ(r.output.rfind("strata: error: ", 0), 0u) << r.output;
  }
  const auto missing = run_strata("synth --out " + out + " --spectra /nonexistent.csv");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent.csv"), std::string::npos);
}

}  // namespace
