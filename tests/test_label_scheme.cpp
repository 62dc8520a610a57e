#include <gtest/gtest.h>

#include <map>

#include "core/classes.h"
#include "core/error.h"
#include "geo/label_scheme.h"
#include "geo/raster.h"
#include "test_util.h"

using namespace strata;
using namespace strata::geo;

namespace {

TEST(LabelScheme, WorldCoverTableMatchesDesign) {
  const LabelScheme s = LabelScheme::load("worldcover");
  const std::map<int, std::string> want = {{10, "trees"},  {20, "shrub_and_scrub"},    {30, "grass"},
                                           {40, "crops"},  {50, "built"},              {60, "bare"},
                                           {70, "snow_and_ice"}, {80, "water"},        {90, "flooded_vegetation"},
                                           {95, "flooded_vegetation"}, {100, "bare"}};
  for (const auto& [code, cls] : want) {
    ASSERT_TRUE(s.knows(static_cast<uint8_t>(code))) << code;
    EXPECT_EQ(s.map(static_cast<uint8_t>(code)), *class_index(cls)) << code;
  }
  EXPECT_EQ(s.map(0), kIgnoreLabel);  // nodata is ignore, never class 0
  EXPECT_FALSE(s.knows(11));
}

TEST(LabelScheme, UnknownCodeNamesFileAndCode) {
  const LabelScheme s = LabelScheme::load("worldcover");
  const uint8_t in[4] = {10, 42, 80, 42};
  uint8_t out[4];
  try {
    s.apply(in, out, 4, "labels.tif");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("labels.tif: label code 42 is not in the label scheme"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2 pixel(s)"), std::string::npos) << e.what();
  }
}

TEST(LabelScheme, MalformedTablesAreErrors) {
  EXPECT_THROW(LabelScheme::parse("code,class\n10,forest\n", "bad.csv"), Error);
  EXPECT_THROW(LabelScheme::parse("code,class\n300,trees\n", "bad.csv"), Error);
  EXPECT_THROW(LabelScheme::parse("code,class\n10,trees\n10,grass\n", "bad.csv"), Error);
  EXPECT_THROW(LabelScheme::parse("code,class\nx,trees\n", "bad.csv"), Error);
  EXPECT_THROW(LabelScheme::load("no-such-scheme"), UsageError);
  const LabelScheme custom = LabelScheme::parse("# mine\ncode,class\n1,water\n2,ignore\n", "mine.csv");
  EXPECT_EQ(custom.map(1), 0);
  EXPECT_EQ(custom.map(2), kIgnoreLabel);
}

TEST(LabelScheme, RealWorldCoverSaoTomeMapsEveryPixel) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  const std::string path = strata::test::real_data("worldcover-saotome/ESA_WorldCover_10m_2021_v200_SaoTome_Map.tif");
  const Raster r = Raster::open(path);
  ASSERT_EQ(r.band_count(), 1);
  EXPECT_EQ(r.grid().width, 3840);
  EXPECT_EQ(r.grid().height, 5040);
  EXPECT_EQ(crs_epsg(r.grid().crs_wkt), 4326);
  std::vector<uint8_t> codes(static_cast<size_t>(r.grid().width * r.grid().height)), classes(codes.size());
  r.read({0}, r.grid().full(), codes.data());
  const LabelScheme s = LabelScheme::load("worldcover");
  s.apply(codes.data(), classes.data(), static_cast<int64_t>(codes.size()), path);

  std::array<int64_t, 256> hist{};
  for (uint8_t c : classes) ++hist[c];
  const int64_t n = static_cast<int64_t>(classes.size());
  // The README: about half ocean (water), half land, mostly tree cover; no nodata pixels.
  EXPECT_GT(hist[0], n * 35 / 100);
  EXPECT_LT(hist[0], n * 65 / 100);
  EXPECT_GT(hist[1], n * 25 / 100);
  EXPECT_EQ(hist[kIgnoreLabel], 0);
  // Codes 20, 30, 40, 50, 60, 90 and 95 are present: every mapped class but snow shows up.
  for (const char* cls : {"shrub_and_scrub", "grass", "crops", "built", "bare", "flooded_vegetation"})
    EXPECT_GT(hist[static_cast<size_t>(*class_index(cls))], 0) << cls;
  EXPECT_EQ(hist[static_cast<size_t>(*class_index("snow_and_ice"))], 0);
}

}  // namespace
