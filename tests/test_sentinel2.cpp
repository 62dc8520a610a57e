#include <gtest/gtest.h>

#include "core/error.h"
#include "geo/raster.h"
#include "geo/scene.h"
#include "geo/sentinel2.h"
#include "test_util.h"

using namespace strata;
using namespace strata::geo;
using strata::test::TempDir;

namespace {

TEST(Sentinel2, BandModel) {
  EXPECT_EQ(s2::all_bands().size(), 13u);
  EXPECT_EQ(s2::band_names(s2::Level::l1c).size(), 13u);
  const auto l2a = s2::band_names(s2::Level::l2a);
  EXPECT_EQ(l2a.size(), 12u);
  EXPECT_EQ(std::find(l2a.begin(), l2a.end(), "B10"), l2a.end());
  EXPECT_EQ(s2::band("B8A").resolution_m, 20);
  EXPECT_EQ(s2::band("B2").resolution_m, 10);
  EXPECT_EQ(s2::band("B9").resolution_m, 60);
  EXPECT_NEAR(s2::band("B11").wavelength_nm, 1613.7, 0.1);
}

TEST(Sentinel2, BandNameSpellings) {
  EXPECT_EQ(s2::canonical_name("B02"), "B2");
  EXPECT_EQ(s2::canonical_name("b8a"), "B8A");
  EXPECT_EQ(s2::canonical_name("B08"), "B8");
  EXPECT_EQ(s2::canonical_name("nir08"), "B8A");
  EXPECT_EQ(s2::canonical_name("Band12"), "B12");
  EXPECT_EQ(s2::canonical_name("swir16"), "B11");
  EXPECT_FALSE(s2::band_index("B13").has_value());
  EXPECT_FALSE(s2::band_index("B123456789012").has_value());
  EXPECT_FALSE(s2::band_index("label").has_value());
  EXPECT_THROW(s2::band("B0"), Error);
}

TEST(Sentinel2, HarmonizeDn) {
  EXPECT_EQ(s2::harmonize_dn(0), 0);        // nodata stays nodata
  EXPECT_EQ(s2::harmonize_dn(1000), 1);     // zero reflectance never becomes nodata
  EXPECT_EQ(s2::harmonize_dn(1500), 500);
  EXPECT_EQ(s2::harmonize_dn(11000), 10000);
}

// A 4-band scene file with optional processing-baseline metadata.
std::string write_scene(const TempDir& dir, const std::string& name, const std::map<std::string, std::string>& md,
                        std::vector<std::string> descriptions = {"B2", "B3", "B4", "B8"}) {
  Grid g;
  g.width = g.height = 16;
  g.transform = {500000, 10, 0, 4000000, 0, -10};
  g.crs_wkt = crs_wkt_from_epsg(32633);
  std::vector<uint16_t> v(4 * 16 * 16, 1500);
  v[0] = 0;  // one nodata pixel in band 0
  WriteOptions o;
  o.band_descriptions = std::move(descriptions);
  o.nodata = 0;
  o.metadata = md;
  write_raster(dir / name, g, 4, v.data(), o);
  return dir / name;
}

TEST(Scene, BandOrderFromDescriptions) {
  TempDir dir;
  const Scene s = Scene::open(write_scene(dir, "s.tif", {}));
  EXPECT_EQ(s.band_names(), (std::vector<std::string>{"B2", "B3", "B4", "B8"}));
  EXPECT_TRUE(s.has_band("B08"));
  EXPECT_FALSE(s.has_band("B11"));
  EXPECT_THROW(s.read({"B11"}, {0, 0, 4, 4}), Error);
}

TEST(Scene, BandOrderFromOptionWhenNoDescriptions) {
  TempDir dir;
  const std::string p = write_scene(dir, "nodesc.tif", {}, {"", "", "", ""});
  EXPECT_THROW(Scene::open(p), Error);  // no descriptions, no --bands
  SceneOptions o;
  o.bands = {"B4", "B3", "B2"};
  EXPECT_THROW(Scene::open(p, o), Error);  // wrong band count
  o.bands = {"B4", "B3", "B2", "B8"};
  EXPECT_EQ(Scene::open(p, o).band_names()[0], "B4");
}

TEST(Scene, HarmonisesBaseline04FromMetadata) {
  TempDir dir;
  const Scene s = Scene::open(write_scene(dir, "n0509.tif", {{"PROCESSING_BASELINE", "05.09"}}));
  EXPECT_TRUE(s.harmonized());
  const TensorU16 t = s.read({"B2"}, {0, 0, 2, 1});
  EXPECT_EQ(t[0], 0);    // nodata kept
  EXPECT_EQ(t[1], 500);  // 1500 - 1000
}

TEST(Scene, OldBaselineIsNotHarmonised) {
  TempDir dir;
  const Scene s = Scene::open(write_scene(dir, "n0212.tif", {{"PROCESSING_BASELINE", "02.12"}}));
  EXPECT_FALSE(s.harmonized());
  EXPECT_EQ(s.read({"B2"}, {0, 0, 2, 1})[1], 1500);
}

TEST(Scene, OffsetMetadataAndExplicitOption) {
  TempDir dir;
  EXPECT_TRUE(Scene::open(write_scene(dir, "off.tif", {{"BOA_ADD_OFFSET", "-1000"}})).harmonized());
  const std::string plain = write_scene(dir, "plain.tif", {});
  EXPECT_FALSE(Scene::open(plain).harmonized());
  EXPECT_TRUE(Scene::open(plain, {{}, Harmonize::yes}).harmonized());
  EXPECT_FALSE(Scene::open(write_scene(dir, "forced.tif", {{"PROCESSING_BASELINE", "05.00"}}), {{}, Harmonize::no}).harmonized());
  EXPECT_THROW(parse_harmonize("maybe"), UsageError);
}

TEST(Scene, WrongDataTypeIsAnError) {
  TempDir dir;
  Grid g;
  g.width = g.height = 4;
  std::vector<float> v(16, 0.1f);
  WriteOptions o;
  o.type = DataType::f32;
  o.band_descriptions = {"B4"};
  write_raster(dir / "float.tif", g, 1, v.data(), o);
  EXPECT_THROW(Scene::open(dir / "float.tif"), Error);
}

// Every real sample opens with the right band count and plausible reflectance.
struct RealSample {
  std::string name, path;
  int bands;
  std::string first_band;
};

void PrintTo(const RealSample& s, std::ostream* os) { *os << s.name; }

class RealSamples : public ::testing::TestWithParam<RealSample> {};

TEST_P(RealSamples, OpenWithBandsAndPlausibleReflectance) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  const RealSample& rs = GetParam();
  const Scene s = Scene::open(strata::test::real_data(rs.path), {{}, Harmonize::no});
  ASSERT_EQ(static_cast<int>(s.band_names().size()), rs.bands);
  EXPECT_EQ(s.band_names()[0], rs.first_band);
  EXPECT_EQ(s.grid().pixel_size_x(), s.grid().pixel_size_x());
  const TensorU16 t = s.read({"B2", "B3", "B4"}, s.grid().full());
  std::vector<uint16_t> valid;
  for (uint16_t v : t.vec())
    if (v != 0 && !(s.nodata() && v == *s.nodata())) valid.push_back(v);
  ASSERT_GT(valid.size(), t.vec().size() / 2);
  std::nth_element(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(valid.size() / 2), valid.end());
  const uint16_t median = valid[valid.size() / 2];
  // Visible surface reflectance lies between 0.5 % and 60 % for almost every land or water pixel.
  EXPECT_GT(median, 50) << rs.path;
  EXPECT_LT(median, 6000) << rs.path;
}

INSTANTIATE_TEST_SUITE_P(
    Real, RealSamples,
    ::testing::Values(RealSample{"sen1floods11_l1c", "sen1floods11-spain/S2_L1C_20190918.tif", 13, "B1"},
                      RealSample{"bigearthnet_l2a", "bigearthnet-s2-patches/stacked/S2A_MSIL2A_20170613T101031_87_48.tif", 12, "B1"},
                      RealSample{"worldcereal_monthly", "worldcereal-belgium-monthly/S2_L2A_monthly_2021-06.tif", 9, "B2"}),
    [](const auto& info) { return info.param.name; });

TEST(RealSamples, EveryBigEarthNetPatchHas12BandsWithoutB10) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(strata::test::real_data("bigearthnet-s2-patches/stacked"))) {
    const Scene s = Scene::open(e.path().string(), {{}, Harmonize::no});
    EXPECT_EQ(s.band_names().size(), 12u) << e.path();
    EXPECT_FALSE(s.has_band("B10")) << e.path();
    ++n;
  }
  EXPECT_EQ(n, 14);
}

TEST(RealSamples, NativeBigEarthNet20mBandResamplesOntoThe10mGrid) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  // The stacked file's B05 was made by pixel replication; nearest resampling must reproduce it.
  const std::string patch = "S2A_MSIL2A_20170613T101031_87_48";
  const std::string native = strata::test::real_data("bigearthnet-s2-patches/native/" + patch + "/" + patch);
  const Raster b02 = Raster::open(native + "_B02.tif");
  const Raster b05 = Raster::open(native + "_B05.tif");
  ASSERT_EQ(b05.grid().width * 2, b02.grid().width);
  std::vector<uint16_t> onto10(static_cast<size_t>(b02.grid().width * b02.grid().height));
  b05.read_onto<uint16_t>({0}, b02.grid(), b02.grid().full(), onto10.data(), Resampling::nearest, 0);
  const Scene stacked = Scene::open(strata::test::real_data("bigearthnet-s2-patches/stacked/" + patch + ".tif"));
  const TensorU16 ref = stacked.read({"B5"}, stacked.grid().full());
  EXPECT_EQ(onto10, ref.vec());
}

}  // namespace

namespace {

TEST(RealSamples, WorldCerealMonthlyStackHasTwoEmptyMonths) {
  if (!strata::test::have_real_data()) GTEST_SKIP() << "no ../shared/data/real beside the repository";
  int empty = 0, full = 0;
  for (int m = 0; m < 12; ++m) {
    const int year = m < 2 ? 2020 : 2021, month = (m + 10) % 12 + 1;
    char name[64];
    std::snprintf(name, sizeof name, "worldcereal-belgium-monthly/S2_L2A_monthly_%04d-%02d.tif", year, month);
    const Scene s = Scene::open(strata::test::real_data(name), {{}, Harmonize::no});
    ASSERT_EQ(s.band_names().size(), 9u) << name;
    ASSERT_EQ(s.nodata(), 65535.0) << name;
    const TensorU16 t = s.read({"B4", "B8"}, s.grid().full());
    const auto nodata = std::count(t.vec().begin(), t.vec().end(), uint16_t{65535});
    if (nodata == t.numel()) ++empty;
    else if (nodata < t.numel() / 10) ++full;
  }
  EXPECT_EQ(empty, 2);  // 2020-12 and 2021-01
  EXPECT_EQ(full, 10);
}

}  // namespace

namespace {

TEST(Scene, QaBandsAreAuxiliary) {
  TempDir dir;
  const std::string p = write_scene(dir, "withqa.tif", {}, {"B2", "QA60", "B4", "SCL"});
  const Scene s = Scene::open(p);
  EXPECT_EQ(s.band_names(), (std::vector<std::string>{"B2", "B4"}));
  EXPECT_EQ(s.band_file_index(), (std::vector<int>{0, 2}));
  EXPECT_EQ(s.aux_band("QA60"), 1);
  EXPECT_EQ(s.aux_band("scl"), 3);
  EXPECT_EQ(s.read({"B4"}, {0, 0, 1, 1})[0], 1500);  // file band 3, not the QA band
  EXPECT_EQ(s.read({"B2"}, {0, 0, 1, 1})[0], 0);
}

}  // namespace
