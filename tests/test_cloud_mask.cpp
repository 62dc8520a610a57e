// Cloud masks: QA60 and SCL decoding, the spectral test on crafted pixels, dilation, the
// source chooser, mask statistics, and the spectral test on real Sentinel-2 samples.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "geo/cloud_mask.h"
#include "geo/scene.h"
#include "test_util.h"

using namespace strata;
using namespace strata::geo;

namespace {

constexpr uint8_t kClear = code(MaskCode::clear), kCloud = code(MaskCode::cloud), kCirrus = code(MaskCode::cirrus),
                  kShadow = code(MaskCode::shadow), kNodata = code(MaskCode::nodata), kSnow = code(MaskCode::snow);

TEST(CloudMask, CodesAndIsClear) {
  EXPECT_TRUE(is_clear(kClear));
  EXPECT_TRUE(is_clear(kSnow));
  EXPECT_FALSE(is_clear(kCloud));
  EXPECT_FALSE(is_clear(kCirrus));
  EXPECT_FALSE(is_clear(kShadow));
  EXPECT_FALSE(is_clear(kNodata));
  EXPECT_FALSE(is_clear(200));
  EXPECT_EQ(mask_code_name(kSnow), "snow");
  EXPECT_EQ(mask_code_name(kShadow), "shadow");
  EXPECT_EQ(mask_code_name(6), "invalid");
}

TEST(CloudMask, Qa60Bits) {
  // bit 10 = 1024 opaque, bit 11 = 2048 cirrus, both, other bits ignored.
  const std::vector<uint16_t> qa = {0, 1024, 2048, 3072, 1024 | 1, 2048 | 512, 0x8000, 0xFFFF};
  const std::vector<uint8_t> want = {kClear, kCloud, kCirrus, kCloud, kCloud, kCirrus, kClear, kCloud};
  std::vector<uint8_t> got(qa.size(), 99);
  cloud_mask_qa60_reference(qa.data(), static_cast<int64_t>(qa.size()), got.data());
  EXPECT_EQ(got, want);
}

TEST(CloudMask, SclClasses) {
  const std::vector<uint8_t> scl = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 255};
  const std::vector<uint8_t> want = {kNodata, kNodata, kClear, kShadow, kClear,  kClear,  kClear,
                                     kClear,  kCloud,  kCloud, kCirrus, kSnow,   kNodata, kNodata};
  std::vector<uint8_t> got(scl.size(), 99);
  cloud_mask_scl_reference(scl.data(), static_cast<int64_t>(scl.size()), got.data());
  EXPECT_EQ(got, want);
}

// Crafted pixels, one per column: what each test must say about them.
struct Pixel {
  const char* what;
  uint16_t b2, b3, b4, b8, b10, b11;
  uint8_t want;
};

TEST(CloudMask, SpectralCraftedPixels) {
  const std::vector<Pixel> px = {
      {"bright white cloud", 5000, 5000, 5000, 5500, 20, 4000, kCloud},
      {"fresh snow (NDSI 0.88)", 8000, 7500, 7500, 7000, 20, 500, kSnow},
      {"water: NDSI high but dark NIR", 800, 700, 500, 200, 10, 100, kClear},
      {"vegetation", 400, 700, 400, 3500, 12, 1800, kClear},
      {"bright red soil: fails the whiteness test", 2200, 2600, 3200, 3500, 15, 4000, kClear},
      {"cirrus over vegetation", 600, 800, 600, 3300, 300, 1800, kCirrus},
      {"cloud with cirrus signal stays cloud", 5000, 5000, 5000, 5500, 900, 4000, kCloud},
      {"nodata", 0, 0, 0, 0, 0, 0, kNodata},
  };
  const int64_t n = static_cast<int64_t>(px.size());
  std::vector<uint16_t> b2, b3, b4, b8, b10, b11;
  for (const auto& p : px) {
    b2.push_back(p.b2), b3.push_back(p.b3), b4.push_back(p.b4), b8.push_back(p.b8), b10.push_back(p.b10),
        b11.push_back(p.b11);
  }
  SpectralBands bands{b2.data(), b3.data(), b4.data(), b8.data(), b10.data(), b11.data(), nullptr};
  std::vector<uint8_t> got(px.size(), 99);
  cloud_mask_spectral_reference(bands, n, 1, SpectralParams{}, got.data());
  for (size_t i = 0; i < px.size(); ++i)
    EXPECT_EQ(mask_code_name(got[i]), mask_code_name(px[i].want)) << px[i].what;

  // Without B10 (L2A) there is no cirrus test.
  bands.b10 = nullptr;
  cloud_mask_spectral_reference(bands, n, 1, SpectralParams{}, got.data());
  EXPECT_EQ(got[5], kClear);
  EXPECT_EQ(got[0], kCloud);

  bands.b11 = nullptr;
  EXPECT_THROW(cloud_mask_spectral_reference(bands, n, 1, SpectralParams{}, got.data()), Error);
}

std::vector<uint8_t> dilate(const std::vector<uint8_t>& in, int64_t w, int64_t h, int r, DilationShape s) {
  std::vector<uint8_t> out(in.size(), 99);
  dilate_mask(in.data(), w, h, r, s, out.data());
  return out;
}

TEST(CloudMask, DilationSquareAndDisk) {
  const uint8_t C = kClear, K = kCloud, N = kNodata, S = kSnow;
  // A single cloud pixel in the middle of a 5x5 clear field, with one nodata pixel next to it.
  const std::vector<uint8_t> in = {C, C, C, C, C,  //
                                   C, C, N, C, C,  //
                                   C, C, K, C, S,  //
                                   C, C, C, C, C,  //
                                   C, C, C, C, C};
  const std::vector<uint8_t> square = {C, C, C, C, C,  //
                                       C, K, N, K, C,  //
                                       C, K, K, K, S,  //
                                       C, K, K, K, C,  //
                                       C, C, C, C, C};
  const std::vector<uint8_t> disk = {C, C, C, C, C,  //
                                     C, C, N, C, C,  //
                                     C, K, K, K, S,  //
                                     C, C, K, C, C,  //
                                     C, C, C, C, C};
  EXPECT_EQ(dilate(in, 5, 5, 1, DilationShape::square), square);
  EXPECT_EQ(dilate(in, 5, 5, 1, DilationShape::disk), disk);
  EXPECT_EQ(dilate(in, 5, 5, 0, DilationShape::disk), in);
  // Radius 2 reaches the snow pixel two columns away: snow is clear, so it is overwritten.
  EXPECT_EQ(dilate(in, 5, 5, 2, DilationShape::disk)[2 * 5 + 4], K);
  EXPECT_THROW(dilate(in, 5, 5, -1, DilationShape::disk), Error);
}

TEST(CloudMask, DilationPriorityAndEdges) {
  const uint8_t C = kClear, K = kCloud, H = kShadow, I = kCirrus;
  // 1x5: cirrus, clear, shadow, clear, cloud. r = 1: the pixel between shadow and cloud takes cloud;
  // the one between cirrus and shadow takes shadow. The edges must not wrap or overrun.
  EXPECT_EQ(dilate({I, C, H, C, K}, 5, 1, 1, DilationShape::square), (std::vector<uint8_t>{I, H, H, K, K}));
  // A 1x1 image and a 3x1 column.
  EXPECT_EQ(dilate({K}, 1, 1, 3, DilationShape::disk), std::vector<uint8_t>{K});
  EXPECT_EQ(dilate({C, C, K}, 1, 3, 1, DilationShape::disk), (std::vector<uint8_t>{C, K, K}));
}

TEST(CloudMask, ChooseSource) {
  const std::vector<uint16_t> populated = {0, 0, 1024, 0};
  const std::vector<uint16_t> empty = {0, 0, 0, 0};  // QA60 after baseline 04.00 (January 2022)
  const std::vector<uint16_t> other_bits = {1, 2, 4, 8};
  const std::vector<uint8_t> scl = {4, 4, 8, 4};
  EXPECT_EQ(choose_mask_source(populated.data(), scl.data(), 4), MaskSource::scl);  // SCL flags shadows
  EXPECT_EQ(choose_mask_source(populated.data(), nullptr, 4), MaskSource::qa60);
  EXPECT_EQ(choose_mask_source(empty.data(), scl.data(), 4), MaskSource::scl);
  EXPECT_EQ(choose_mask_source(empty.data(), nullptr, 4), MaskSource::spectral);
  EXPECT_EQ(choose_mask_source(other_bits.data(), nullptr, 4), MaskSource::spectral);
  EXPECT_EQ(choose_mask_source(nullptr, scl.data(), 4), MaskSource::scl);
  EXPECT_EQ(choose_mask_source(nullptr, nullptr, 4), MaskSource::spectral);
  EXPECT_EQ(mask_source_name(MaskSource::qa60), "QA60");
}

TEST(CloudMask, CloudMaskChoosesAndDilates) {
  // 3x3, an all-zero QA60 and an SCL with one cloud in the corner: SCL is used and the cloud grows.
  const std::vector<uint16_t> qa(9, 0);
  const std::vector<uint8_t> scl = {9, 4, 4, 4, 4, 4, 4, 4, 0};
  MaskInputs in;
  in.qa60 = qa.data();
  in.scl = scl.data();
  MaskOptions opt;
  opt.dilation_radius = 1;
  opt.dilation_shape = DilationShape::square;
  std::vector<uint8_t> out(9, 99);
  EXPECT_EQ(cloud_mask(in, 3, 3, opt, out.data()), MaskSource::scl);
  EXPECT_EQ(out, (std::vector<uint8_t>{kCloud, kCloud, kClear, kCloud, kCloud, kClear, kClear, kClear, kNodata}));
  // Neither QA60 nor SCL usable and no bands for the spectral test: an error, not an empty mask.
  in.scl = nullptr;
  EXPECT_THROW(cloud_mask(in, 3, 3, opt, out.data()), Error);
}

TEST(CloudMask, Stats) {
  const std::vector<uint8_t> m = {kClear, kClear, kSnow, kCloud, kCirrus, kShadow, kNodata, kNodata, 77};
  const MaskStats s = mask_stats(m.data(), static_cast<int64_t>(m.size()));
  EXPECT_EQ(s.count[kClear], 2);
  EXPECT_EQ(s.count[kNodata], 2);
  EXPECT_EQ(s.invalid, 1);
  EXPECT_EQ(s.usable(), 3);
  EXPECT_EQ(s.observed(), 7);
  EXPECT_DOUBLE_EQ(s.clear_fraction(), 3.0 / 7.0);
  const std::vector<uint8_t> none = {kNodata, kNodata};
  EXPECT_EQ(mask_stats(none.data(), 2).clear_fraction(), 0.0);
}

// ---- the spectral test on real samples ----

struct RealMask {
  std::vector<uint8_t> mask;
  MaskStats stats;
};

RealMask spectral_mask_of(const std::string& path, bool with_b10) {
  SceneOptions o;
  o.harmonize = Harmonize::no;  // these samples are all before baseline 04.00
  const Scene scene = Scene::open(path, o);
  std::vector<std::string> names = {"B2", "B3", "B4", "B8", "B11"};
  if (with_b10) names.push_back("B10");
  const TensorU16 px = scene.read(names, scene.grid().full());
  const int64_t w = scene.grid().width, h = scene.grid().height, n = w * h;
  SpectralBands b{px.data(), px.data() + n, px.data() + 2 * n, px.data() + 3 * n,
                  with_b10 ? px.data() + 5 * n : nullptr, px.data() + 4 * n, nullptr};
  SpectralParams p;
  p.has_nodata = scene.nodata().has_value();
  p.nodata_dn = static_cast<uint16_t>(scene.nodata().value_or(0));
  RealMask r;
  r.mask.resize(static_cast<size_t>(n));
  cloud_mask_spectral_reference(b, w, h, p, r.mask.data());
  r.stats = mask_stats(r.mask.data(), n);
  return r;
}

double fraction(const MaskStats& s, uint8_t c) {
  int64_t total = s.invalid;
  for (int64_t v : s.count) total += v;
  return static_cast<double>(s.count[c]) / static_cast<double>(total);
}

TEST(CloudMaskReal, Sen1Floods11SpainL1cIsMostlyClear) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  const RealMask r = spectral_mask_of(test::real_data("sen1floods11-spain/S2_L1C_20190918.tif"), true);
  // A clear September scene over flooded farmland and towns: bright roofs must not read as cloud,
  // and its B10 (8..15 DN) shows no cirrus.
  EXPECT_GT(r.stats.clear_fraction(), 0.95);
  EXPECT_LT(fraction(r.stats, kCloud), 0.02);
  EXPECT_EQ(r.stats.count[kCirrus], 0);
  EXPECT_EQ(r.stats.count[kNodata], 0);
}

TEST(CloudMaskReal, BigEarthNetSnowPatchIsClearSnow) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  const RealMask r =
      spectral_mask_of(test::real_data("bigearthnet-s2-patches/stacked/S2B_MSIL2A_20180204T94161_57_38.tif"), false);
  // 97 % snow by NDSI per the sample's README: blue up to 9000 DN, which only the NDSI test saves.
  EXPECT_GT(fraction(r.stats, kSnow), 0.9);
  EXPECT_LT(fraction(r.stats, kCloud), 0.02);
  EXPECT_GT(r.stats.clear_fraction(), 0.98);
}

// Every BigEarthNet patch was chosen cloud-free upstream: the spectral test must agree.
class BigEarthNetPatch : public testing::TestWithParam<std::string> {};

TEST_P(BigEarthNetPatch, SpectralMaskIsMostlyClear) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  const std::string path = test::real_data("bigearthnet-s2-patches/stacked/" + GetParam() + ".tif");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is missing";
  const RealMask r = spectral_mask_of(path, false);
  EXPECT_GT(r.stats.clear_fraction(), 0.98) << GetParam();
  EXPECT_EQ(r.stats.count[kCirrus], 0);
}

INSTANTIATE_TEST_SUITE_P(Real, BigEarthNetPatch,
                         testing::Values("S2A_MSIL2A_20170613T101031_87_48", "S2A_MSIL2A_20170617T113321_36_85",
                                         "S2A_MSIL2A_20170617T113321_4_55", "S2A_MSIL2A_20171221T112501_56_35",
                                         "S2A_MSIL2A_20180510T94033_19_86", "S2B_MSIL2A_20170914T093029_32_39",
                                         "S2B_MSIL2A_20170924T093019_43_47", "S2B_MSIL2A_20170924T93020_69_24",
                                         "S2B_MSIL2A_20170924T93021_41_29", "S2B_MSIL2A_20170927T094019_66_56",
                                         "S2B_MSIL2A_20180204T94161_57_38", "S2B_MSIL2A_20180421T114349_41_4",
                                         "S2B_MSIL2A_20180421T114349_47_56", "S2B_MSIL2A_20180502T093039_43_14"));

}  // namespace
