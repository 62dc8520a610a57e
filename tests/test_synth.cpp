// The synthetic Sentinel-2 scene: deterministic by seed, block-independent, spectra as in the
// table, every class present, events and clouds as promised, and files identical byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/error.h"
#include "geo/footprint.h"
#include "geo/raster.h"
#include "geo/scene.h"
#include "geo/synth/synth_scene.h"
#include "pipeline/synth.h"

namespace {

namespace fs = std::filesystem;
using namespace strata::geo::synth;
using strata::geo::Window;

SynthConfig config(int64_t size = 512, uint64_t seed = 42, int dates = 6) {
  SynthConfig c;
  c.size = size;
  c.seed = seed;
  c.dates = dates;
  c.spectra = SpectraTable::load(std::string(STRATA_SOURCE_DIR) + "/data/spectra/s2_class_spectra.csv");
  return c;
}

// One 512 x 512 scene with 6 dates, rendered once for the tests that look at a whole scene: L1C
// (the default), and L2A (the surface reflectance, for the tests of the spectra themselves).
struct Rendered {
  SynthScene scene;
  std::vector<SynthBlock> blocks;
  explicit Rendered(SynthConfig c) : scene(std::move(c)) {
    for (int d = 0; d < scene.config().dates; ++d) blocks.push_back(scene.render({0, 0, scene.size(), scene.size()}, d));
  }
};
const Rendered& rendered() {
  static const Rendered r{config()};
  return r;
}
const Rendered& rendered_l2a() {
  static const Rendered r{[] {
    SynthConfig c = config();
    c.level = strata::geo::s2::Level::l2a;
    return c;
  }()};
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) : path(fs::temp_directory_path() / ("strata-test-synth-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

TEST(SynthScene, SameSeedSameBlocksOtherSeedOtherBlocks) {
  const SynthScene a(config(256)), b(config(256)), c(config(256, 7));
  for (int d = 0; d < 6; ++d) {
    const Window w{10, 20, 200, 100};
    const SynthBlock x = a.render(w, d), y = b.render(w, d), z = c.render(w, d);
    EXPECT_EQ(x.bands, y.bands) << "date " << d;
    EXPECT_EQ(x.qa60, y.qa60);
    EXPECT_EQ(x.scl, y.scl);
    EXPECT_EQ(x.label, y.label);
    EXPECT_EQ(x.worldcover, y.worldcover);
    EXPECT_NE(x.bands, z.bands);
  }
}

TEST(SynthScene, BlockAloneEqualsSameRegionOfBiggerBlock) {
  const SynthScene s(config(300));
  for (int d = 0; d < 6; ++d) {
    const SynthBlock big = s.render({0, 0, 300, 300}, d);
    for (const Window w : {Window{37, 101, 64, 50}, Window{0, 0, 1, 1}, Window{299, 13, 1, 287}, Window{150, 250, 150, 50}}) {
      const SynthBlock small = s.render(w, d);
      for (int64_t y = 0; y < w.height; ++y)
        for (int64_t x = 0; x < w.width; ++x) {
          const auto i = static_cast<size_t>(y * w.width + x);
          const auto j = static_cast<size_t>((w.y + y) * 300 + (w.x + x));
          ASSERT_EQ(small.label[i], big.label[j]) << "date " << d << " at " << w.x + x << "," << w.y + y;
          ASSERT_EQ(small.qa60[i], big.qa60[j]);
          ASSERT_EQ(small.scl[i], big.scl[j]);
          for (int b = 0; b < kBands; ++b)
            ASSERT_EQ(small.bands[static_cast<size_t>(b) * static_cast<size_t>(w.pixels()) + i],
                      big.bands[static_cast<size_t>(b) * 90000 + j])
                << "band " << b << " date " << d << " at " << w.x + x << "," << w.y + y;
        }
    }
  }
}

TEST(SynthScene, LandscapePointEqualsBlock) {
  const Landscape land(42, 512);
  const Window w{-5, 400, 70, 40};
  std::vector<LandCell> cells(static_cast<size_t>(w.pixels()));
  land.fill(w, cells.data());
  for (int64_t y = 0; y < w.height; ++y)
    for (int64_t x = 0; x < w.width; ++x) {
      const LandCell a = land.at(w.x + x, w.y + y), &b = cells[static_cast<size_t>(y * w.width + x)];
      ASSERT_EQ(a.cls, b.cls);
      ASSERT_EQ(a.patch, b.patch);
      ASSERT_EQ(a.elevation, b.elevation);
    }
}

TEST(SynthScene, PurePixelSpectraMatchTheTable) {
  const auto& r = rendered_l2a();
  const EndmemberSpectra& e = r.scene.spectra();
  std::array<std::array<double, kBands>, kEndmemberCount> sum{};
  std::array<int64_t, kEndmemberCount> count{};
  for (const auto& b : r.blocks) {
    const size_t n = b.label.size();
    for (size_t i = 0; i < n; ++i) {
      const uint8_t em = b.endmember[i];
      if (em == kMixed) continue;
      ++count[em];
      for (int k = 0; k < kBands; ++k) sum[em][static_cast<size_t>(k)] += b.bands[static_cast<size_t>(k) * n + i];
    }
  }
  int checked = 0;
  for (int em = 0; em < kEndmemberCount; ++em) {
    if (count[static_cast<size_t>(em)] < 1000) continue;
    ++checked;
    const auto& info = kEndmemberInfo[static_cast<size_t>(em)];
    const Signature& row = r.scene.config().spectra.get(info.class_name, info.variant);
    const Signature& water = r.scene.config().spectra.get("water", "clear");
    for (int k = 0; k < kBands; ++k) {
      if (k == 10) continue;  // L2A has no B10
      const auto uk = static_cast<size_t>(k);
      const double mean = sum[static_cast<size_t>(em)][uk] / static_cast<double>(count[static_cast<size_t>(em)]);
      // A marsh is a mosaic of its stands and about 30 % open water.
      const double want = em == kFloodedVegAll ? row.mean[uk] + 0.3 * (water.mean[uk] - row.mean[uk]) : row.mean[uk];
      // Per-field and smooth spatial variation make pixels of a field or a forest correlated (few
      // independent samples), so allow half a std; 8 % still tells apart the seasonal variants.
      // The atmospheric correction's aerosol error weighs most in the blue (B1 at 443 nm, B2):
      // tens of DN over dark water.
      const double tol = std::max(0.08 * want, 0.5 * e.spread[static_cast<size_t>(em)][uk]) + (k == 0 ? 60.0 : k == 1 ? 35.0 : 15.0);
      EXPECT_NEAR(mean, want, tol) << info.class_name << "/" << info.variant << " band " << k << " over "
                                   << count[static_cast<size_t>(em)] << " pure pixels";
    }
  }
  EXPECT_GE(checked, 9) << "too few endmembers have enough pure pixels to check";
}

TEST(SynthScene, EveryClassPresentAndSnowInWinter) {
  const auto& r = rendered();
  std::array<int64_t, kClasses> total{};
  for (const auto& b : r.blocks)
    for (uint8_t c : b.label)
      if (c != kNoLabel) ++total[c];
  for (int c = 0; c < kClasses; ++c) EXPECT_GT(total[static_cast<size_t>(c)], 0) << "class " << c << " missing";
  ASSERT_LE(r.scene.dates()[0].doy, 31);  // 15 January
  int64_t snow = 0, snow_summer = 0;
  for (uint8_t c : r.blocks[0].label) snow += c == kSnow;
  for (uint8_t c : r.blocks[3].label) snow_summer += c == kSnow;  // mid-July
  EXPECT_GT(snow, 0);
  EXPECT_EQ(snow_summer, 0);
}

TEST(SynthScene, FireTurnsTreesIntoBareThenShrub) {
  const auto& r = rendered();
  const Event& fire = r.scene.fire();
  ASSERT_TRUE(fire.active);
  ASSERT_GE(fire.first_date, 1);
  const Window bb = fire.bbox;
  ASSERT_GT(bb.pixels(), 100);
  std::vector<LandCell> cells(static_cast<size_t>(bb.pixels()));
  r.scene.landscape().fill(bb, cells.data());
  std::map<int, std::array<int64_t, kClasses>> per_date;  // labels of burnt forest pixels
  int64_t burnt_trees = 0;
  for (int64_t y = 0; y < bb.height; ++y)
    for (int64_t x = 0; x < bb.width; ++x) {
      const LandCell& c = cells[static_cast<size_t>(y * bb.width + x)];
      if (c.cls != kTrees || !in_fire(fire, bb.x + x, bb.y + y, c)) continue;
      ++burnt_trees;
      for (int d = 0; d < r.scene.config().dates; ++d) {
        const uint8_t l = r.blocks[static_cast<size_t>(d)].label[static_cast<size_t>((bb.y + y) * 512 + bb.x + x)];
        if (l != kNoLabel) ++per_date[d][l];
      }
    }
  ASSERT_GT(burnt_trees, 100);
  for (auto& [d, counts] : per_date) {
    int64_t all = 0;
    for (auto v : counts) all += v;
    const int64_t changed = counts[kBare] + counts[kShrub];
    if (d < fire.first_date) {
      EXPECT_EQ(changed, 0) << "date " << d << " is before the fire";
      EXPECT_EQ(counts[kTrees] + counts[kSnow], all);
    } else {
      EXPECT_GE(changed, all * 95 / 100) << "date " << d << " is after the fire";
    }
  }
  EXPECT_GT(per_date[fire.first_date][kBare], 0);
  if (r.scene.dates().back().day - r.scene.dates()[static_cast<size_t>(fire.first_date)].day > 150) {
    EXPECT_GT(per_date[r.scene.config().dates - 1][kShrub], 0) << "no shrub regrowth on the last date";
  }
}

TEST(SynthScene, FloodTurnsCropsAndGrassIntoWaterForItsDates) {
  const auto& r = rendered();
  const Event& flood = r.scene.flood();
  ASSERT_TRUE(flood.active);
  ASSERT_GE(flood.last_date, flood.first_date);
  ASSERT_LE(flood.last_date - flood.first_date, 2);
  const Window bb = flood.bbox;
  std::vector<LandCell> cells(static_cast<size_t>(bb.pixels()));
  r.scene.landscape().fill(bb, cells.data());
  int64_t flooded_farmland = 0;
  for (int d = 0; d < r.scene.config().dates; ++d) {
    int64_t wet = 0, dry = 0;
    for (int64_t y = 0; y < bb.height; ++y)
      for (int64_t x = 0; x < bb.width; ++x) {
        const LandCell& c = cells[static_cast<size_t>(y * bb.width + x)];
        if ((c.cls != kCrops && c.cls != kGrass) || !in_flood(flood, bb.x + x, bb.y + y, c)) continue;
        const uint8_t l = r.blocks[static_cast<size_t>(d)].label[static_cast<size_t>((bb.y + y) * 512 + bb.x + x)];
        if (l == kNoLabel || l == kSnow) continue;
        (l == kWater || l == kFloodedVeg ? wet : dry) += 1;
        if (l != kWater && l != kFloodedVeg) {
          EXPECT_EQ(l, c.cls);
        }
      }
    if (d >= flood.first_date && d <= flood.last_date) {
      EXPECT_EQ(dry, 0) << "date " << d << " is flooded";
      EXPECT_GT(wet, 100);
      flooded_farmland += wet;
    } else {
      EXPECT_EQ(wet, 0) << "date " << d << " is not flooded";
    }
  }
  EXPECT_GT(flooded_farmland, 0);
}

TEST(SynthScene, EventsArePlacedForManySeeds) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const SynthScene s(config(512, seed));
    EXPECT_TRUE(s.fire().active) << "seed " << seed;
    EXPECT_TRUE(s.flood().active) << "seed " << seed;
    EXPECT_GE(s.fire().first_date, 1);
    EXPECT_GE(s.flood().first_date, 1);
    EXPECT_LE(s.flood().last_date, 5);
  }
  SynthConfig none = config(512, 42);
  none.fire = none.flood = false;
  const SynthScene s(none);
  EXPECT_FALSE(s.fire().active);
  EXPECT_FALSE(s.flood().active);
}

TEST(SynthScene, CloudsSetQa60AndScl) {
  const auto& r = rendered();
  int64_t opaque = 0, cirrus = 0, shadow = 0;
  double b10_cirrus = 0, b10_clear = 0;
  int64_t n_cirrus = 0, n_clear = 0;
  for (const auto& b : r.blocks) {
    const size_t n = b.label.size();
    for (size_t i = 0; i < n; ++i) {
      const uint16_t qa = b.qa60[i];
      const uint8_t scl = b.scl[i];
      if (scl == kSclCloudHigh) {
        EXPECT_TRUE(qa & kQaOpaque);
      }
      if (qa & kQaOpaque) {
        ++opaque;
        EXPECT_TRUE(scl == kSclCloudHigh || scl == kSclCloudMedium);
      }
      if (qa & kQaCirrus) {
        ++cirrus;
        EXPECT_FALSE(qa & kQaOpaque);
        b10_cirrus += b.bands[10 * n + i];
        ++n_cirrus;
      }
      if (scl == kSclShadow) ++shadow;
      if (qa == 0 && b.label[i] != kNoLabel && scl != kSclShadow && scl != kSclCirrus) {
        b10_clear += b.bands[10 * n + i];
        ++n_clear;
      }
    }
  }
  EXPECT_GT(opaque, 1000);
  EXPECT_GT(cirrus, 1000);
  EXPECT_GT(shadow, 100);
  ASSERT_GT(n_clear, 0);
  EXPECT_GT(b10_cirrus / static_cast<double>(n_cirrus), 5.0 * b10_clear / static_cast<double>(n_clear));
  // Some dates are clear, some cloudy.
  int clear_dates = 0;
  for (const auto& s : r.scene.skies()) clear_dates += s.cloud_cover == 0.0f;
  EXPECT_GT(clear_dates, 0);
  EXPECT_LT(clear_dates, r.scene.config().dates);
}

TEST(SynthScene, SwathEdgeIsNodataEverywhere) {
  const auto& r = rendered();
  int edge_dates = 0;
  for (int d = 0; d < r.scene.config().dates; ++d) {
    const Sky& sky = r.scene.skies()[static_cast<size_t>(d)];
    const SynthBlock& b = r.blocks[static_cast<size_t>(d)];
    const size_t n = b.label.size();
    int64_t nodata = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t x = static_cast<int64_t>(i) % 512, y = static_cast<int64_t>(i) / 512;
      const bool nd = sky.nodata(x, y);
      nodata += nd;
      for (int k = 0; k < kBands; ++k) ASSERT_EQ(b.bands[static_cast<size_t>(k) * n + i] == 0, nd) << "band " << k;
      ASSERT_EQ(b.label[i] == kNoLabel, nd);
      ASSERT_EQ(b.worldcover[i] == 0, nd);
      ASSERT_EQ(b.scl[i] == kSclNoData, nd);
    }
    if (nodata > 0) {
      ++edge_dates;
      EXPECT_GT(nodata, static_cast<int64_t>(n) / 10);
      EXPECT_LT(nodata, static_cast<int64_t>(n) / 2);
    }
  }
  EXPECT_GE(edge_dates, 1);
}

TEST(SynthScene, CoarseBandsAreConstantOverTheirNativePixels) {
  const auto& r = rendered();
  int clear_date = -1;
  for (int d = 0; d < r.scene.config().dates; ++d) {
    const Sky& sky = r.scene.skies()[static_cast<size_t>(d)];
    if (sky.cloud_cover == 0.0f && sky.cirrus_amount == 0.0f) clear_date = d;
  }
  ASSERT_GE(clear_date, 0) << "no clear date to look at";
  const SynthBlock& b = r.blocks[static_cast<size_t>(clear_date)];
  const size_t n = b.label.size();
  auto dn = [&](int band, int64_t x, int64_t y) { return b.bands[static_cast<size_t>(band) * n + static_cast<size_t>(y * 512 + x)]; };
  int64_t blocks60 = 0, varying10 = 0;
  for (int64_t y = 0; y + 6 <= 512; y += 6)
    for (int64_t x = 0; x + 6 <= 512; x += 6) {
      if (dn(1, x, y) == 0 || dn(1, x + 5, y + 5) == 0 || dn(1, x + 5, y) == 0 || dn(1, x, y + 5) == 0) continue;  // swath edge
      for (int64_t yy = y; yy < y + 6; ++yy)
        for (int64_t xx = x; xx < x + 6; ++xx) {
          ASSERT_EQ(dn(0, xx, yy), dn(0, x, y)) << "B1 (60 m) varies inside its pixel at " << x << "," << y;
          ASSERT_EQ(dn(11, xx, yy), dn(11, xx & ~1, yy & ~1)) << "B11 (20 m) varies inside its pixel";
        }
      varying10 += dn(7, x, y) != dn(7, x + 1, y);
      ++blocks60;
    }
  EXPECT_GT(blocks60, 1000);
  EXPECT_GT(varying10, blocks60 / 2) << "B8 (10 m) should vary from pixel to pixel";
}

TEST(SynthScene, WorldCoverCodesFollowLabels) {
  const auto& b = rendered().blocks[1];
  for (size_t i = 0; i < b.label.size(); ++i)
    if (b.label[i] != kNoLabel) {
      ASSERT_EQ(b.worldcover[i], kWorldCoverCode[b.label[i]]);
    }
}

TEST(SpectraTable, ErrorsNameTheFile) {
  try {
    SpectraTable::load("/nonexistent/spectra.csv");
    FAIL() << "no error";
  } catch (const strata::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/spectra.csv"), std::string::npos);
  }
  const SpectraTable t = SpectraTable::load(SpectraTable::default_path());
  EXPECT_EQ(t.get("trees", "leaf_on").class_id, 1);
  EXPECT_THROW(t.get("trees", "purple"), strata::Error);
  for (const auto& row : t.rows()) EXPECT_LT(row.mean[10], 50.0f) << row.class_name << ": B10 is near zero at the surface";
}

TEST(RunSynth, SameSeedSameBytesAndFilesAsPromised) {
  TempDir a("a"), b("b"), c("c");
  strata::pipeline::SynthOptions o;
  o.size = 300;
  o.dates = 3;
  o.strip_rows = 200;  // two strips, three threads
  o.threads = 3;
  o.out_dir = a.path.string();
  const auto ra = strata::pipeline::run_synth(o);
  o.out_dir = b.path.string();
  o.strip_rows = 512;  // one strip, one thread
  o.threads = 1;
  const auto rb = strata::pipeline::run_synth(o);
  ASSERT_EQ(ra.files.size(), 3u * 4u + 1u);
  for (size_t i = 0; i < ra.files.size(); ++i) {
    EXPECT_EQ(fs::path(ra.files[i]).filename(), fs::path(rb.files[i]).filename());
    EXPECT_TRUE(slurp(ra.files[i]) == slurp(rb.files[i])) << ra.files[i] << " differs between two runs";
  }
  o.out_dir = c.path.string();
  o.seed = 43;
  const auto rc = strata::pipeline::run_synth(o);
  EXPECT_FALSE(slurp(ra.files[0]) == slurp(rc.files[0]));

  // The scene file: 13 uint16 bands named B1..B12, nodata 0, UTM at 10 m; equal to the scene.
  const auto s2 = strata::geo::Raster::open(ra.files[0]);
  EXPECT_EQ(fs::path(ra.files[0]).filename(), "S2_2021-01-15.tif");
  ASSERT_EQ(s2.band_count(), 13);
  EXPECT_EQ(s2.band_type(0), strata::geo::DataType::u16);
  EXPECT_EQ(s2.band_description(0), "B1");
  EXPECT_EQ(s2.band_description(8), "B8A");
  EXPECT_EQ(s2.band_description(12), "B12");
  EXPECT_EQ(s2.nodata(0), 0.0);
  EXPECT_EQ(s2.grid().pixel_size_x(), 10.0);
  const int epsg = strata::geo::crs_epsg(s2.grid().crs_wkt);
  EXPECT_TRUE((epsg > 32600 && epsg <= 32660) || (epsg > 32700 && epsg <= 32760)) << epsg;
  std::vector<uint16_t> dn(static_cast<size_t>(13 * 300 * 300));
  std::vector<int> all(13);
  for (int k = 0; k < 13; ++k) all[static_cast<size_t>(k)] = k;
  s2.read<uint16_t>(all, s2.grid().full(), dn.data());
  SynthConfig same = config(300, 42, 3);
  same.latitude_deg = strata::geo::centre_lonlat(s2.grid()).lat;  // the sun of the file's place
  const SynthBlock expect = SynthScene(same).render({0, 0, 300, 300}, 0);
  EXPECT_EQ(dn, expect.bands);
  EXPECT_EQ(s2.metadata_item("PROCESSING_LEVEL"), "Level-1C");
  EXPECT_EQ(s2.metadata_item("PROCESSING_BASELINE"), "02.09");
  EXPECT_EQ(s2.metadata_item("RADIO_ADD_OFFSET"), "0");
  EXPECT_FALSE(s2.metadata_item("MEAN_SUN_ZENITH_ANGLE").empty());

  const auto labels = strata::geo::Raster::open(ra.files[2]);
  EXPECT_EQ(labels.nodata(0), 255.0);
  ASSERT_GE(labels.color_table(0).size(), 9u);
  EXPECT_EQ(labels.color_table(0)[0].r, 0x41);  // water #419BDF
  const auto wc = strata::geo::Raster::open(ra.files[3]);
  EXPECT_EQ(wc.nodata(0), 0.0);
  const auto qa = strata::geo::Raster::open(ra.files[1]);
  EXPECT_EQ(qa.band_count(), 1);  // an L1C product has no scene classification
  EXPECT_EQ(qa.band_description(0), "QA60");
  EXPECT_TRUE(fs::exists(a.path / "synth.json"));
  const std::string json = slurp((a.path / "synth.json").string());
  EXPECT_NE(json.find("\"events\""), std::string::npos);
  EXPECT_NE(json.find("\"class_fractions\""), std::string::npos);
}

// Products as ESA makes them: L2A has 12 bands (no B10) and an SCL; from processing baseline
// 04.00 (25 January 2022) DN carry the +1000 offset, the metadata say so, and QA60 is empty.
TEST(RunSynth, LevelsAndBaselinesAsTheRealProducts) {
  for (const auto level : {strata::geo::s2::Level::l1c, strata::geo::s2::Level::l2a}) {
    const bool l2a = level == strata::geo::s2::Level::l2a;
    TempDir dir(l2a ? "l2a" : "l1c");
    strata::pipeline::SynthOptions o;
    o.size = 128;
    o.dates = 2;
    o.start = "2022-01-01";  // the second date (2022-07-02) is after the change of baseline
    o.level = level;
    o.out_dir = dir.path.string();
    const auto r = strata::pipeline::run_synth(o);
    for (int d = 0; d < 2; ++d) {
      const auto s2 = strata::geo::Raster::open(r.files[static_cast<size_t>(4 * d)]);
      const auto qa = strata::geo::Raster::open(r.files[static_cast<size_t>(4 * d + 1)]);
      ASSERT_EQ(s2.band_count(), l2a ? 12 : 13);
      EXPECT_EQ(s2.band_description(10), l2a ? "B11" : "B10");
      EXPECT_EQ(s2.metadata_item("PROCESSING_LEVEL"), l2a ? "Level-2A" : "Level-1C");
      ASSERT_EQ(qa.band_count(), l2a ? 2 : 1);
      if (l2a) {
        EXPECT_EQ(qa.band_description(1), "SCL");
      }
      const bool b04 = d == 1;
      EXPECT_EQ(s2.metadata_item("PROCESSING_BASELINE"), b04 ? "04.00" : "02.09");
      EXPECT_EQ(s2.metadata_item(l2a ? "BOA_ADD_OFFSET" : "RADIO_ADD_OFFSET"), b04 ? "-1000" : "0");
      std::vector<uint16_t> b2(128 * 128), qa60(128 * 128);
      s2.read<uint16_t>({1}, s2.grid().full(), b2.data());
      qa.read<uint16_t>({0}, qa.grid().full(), qa60.data());
      uint16_t lo = 65535;
      for (uint16_t v : b2)
        if (v != 0) lo = std::min(lo, v);
      if (b04) {
        EXPECT_GT(lo, 1000) << "baseline 04.00 DN carry the +1000 offset";
        EXPECT_EQ(std::count(qa60.begin(), qa60.end(), 0), static_cast<std::ptrdiff_t>(qa60.size()))
            << "QA60 is empty from baseline 04.00";
      }
      // The scene reader sees what it sees in a real product.
      const auto scene = strata::geo::Scene::open(r.files[static_cast<size_t>(4 * d)], {});
      EXPECT_EQ(scene.processing_level(), l2a ? "L2A" : "L1C");
      EXPECT_EQ(scene.harmonized(), b04);
    }
  }
}

TEST(RunSynth, RefusesNonEmptyDirectoryWithoutOverwrite) {
  TempDir a("busy");
  fs::create_directories(a.path);
  std::ofstream(a.path / "keep.txt") << "x";
  strata::pipeline::SynthOptions o;
  o.size = 64;
  o.dates = 1;
  o.out_dir = a.path.string();
  EXPECT_THROW(strata::pipeline::run_synth(o), strata::UsageError);
  o.overwrite = true;
  EXPECT_NO_THROW(strata::pipeline::run_synth(o));
  EXPECT_TRUE(fs::exists(a.path / "keep.txt"));
  o.size = 32;
  EXPECT_THROW(strata::pipeline::run_synth(o), strata::UsageError);
}

}  // namespace
