#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "core/classes.h"
#include "core/error.h"
#include "store/patch_loader.h"
#include "test_util.h"

using namespace strata;
using namespace strata::store;
using strata::test::TempDir;

namespace {

constexpr int64_t P = 4;

// Three shards of 5, 7 and 2 patches; every pixel of patch g holds g (inputs) and g % 9 (labels).
std::vector<std::string> make_shards(const TempDir& dir) {
  std::vector<std::string> out;
  int64_t g = 0;
  for (int64_t n : {5, 7, 2}) {
    ShardHeader h;
    h.band_names = {"B4", "B8"};
    h.class_names = {"a"};
    h.patch_size = P;
    h.split = "train";
    const std::string path = dir / ("shard-" + std::to_string(out.size()) + ".h5");
    ShardWriter w(path, h, n);
    for (int64_t i = 0; i < n; ++i, ++g) {
      std::vector<uint16_t> in(2 * P * P, static_cast<uint16_t>(g));
      std::vector<uint8_t> lab(P * P, static_cast<uint8_t>(g % 9));
      w.write(i, in.data(), lab.data(), {0, g, 0});
    }
    w.commit();
    out.push_back(path);
  }
  return out;
}

std::vector<std::vector<int64_t>> epoch_ids(PatchLoader& l, int64_t epoch, int64_t first_step = 0) {
  std::vector<std::vector<int64_t>> steps;
  l.start_epoch(epoch, first_step);
  Batch b;
  while (l.next(b)) {
    std::vector<int64_t> ids;
    for (int64_t j = 0; j < b.size; ++j) ids.push_back(b.inputs[static_cast<size_t>(j * 2 * P * P)]);
    steps.push_back(ids);
  }
  return steps;
}

TEST(Loader, EveryPatchEachEpochAndEqualStepsWithWrap) {
  TempDir dir;
  LoaderOptions o;
  o.shards = make_shards(dir);
  o.batch = 4;
  o.augment = false;
  PatchLoader l(o);
  EXPECT_EQ(l.patches(), 14);
  EXPECT_EQ(l.steps_per_epoch(), 4);
  const auto steps = epoch_ids(l, 0);
  ASSERT_EQ(steps.size(), 4u);
  std::set<int64_t> seen;
  for (const auto& s : steps) {
    EXPECT_EQ(s.size(), 4u);
    seen.insert(s.begin(), s.end());
  }
  EXPECT_EQ(seen.size(), 14u);
}

TEST(Loader, TwoRanksSplitTheSameGlobalBatches) {
  TempDir dir;
  LoaderOptions o;
  o.shards = make_shards(dir);
  o.batch = 4;
  o.seed = 3;
  o.augment = false;
  PatchLoader one(o);
  o.batch = 2;
  o.world = 2;
  PatchLoader r0(o);
  o.rank = 1;
  PatchLoader r1(o);
  const auto a = epoch_ids(one, 2), b0 = epoch_ids(r0, 2), b1 = epoch_ids(r1, 2);
  ASSERT_EQ(a.size(), b0.size());
  ASSERT_EQ(a.size(), b1.size());
  for (size_t k = 0; k < a.size(); ++k) {
    std::vector<int64_t> joined = b0[k];
    joined.insert(joined.end(), b1[k].begin(), b1[k].end());
    EXPECT_EQ(joined, a[k]) << "step " << k;
  }
}

TEST(Loader, ReshufflesPerEpochAndResumesMidEpoch) {
  TempDir dir;
  LoaderOptions o;
  o.shards = make_shards(dir);
  o.batch = 3;
  o.seed = 9;
  PatchLoader l(o);
  const auto e0 = epoch_ids(l, 0), e0again = epoch_ids(l, 0), e1 = epoch_ids(l, 1);
  EXPECT_EQ(e0, e0again);
  EXPECT_NE(e0, e1);
  const auto tail = epoch_ids(l, 1, 2);
  ASSERT_EQ(tail.size(), e1.size() - 2);
  for (size_t k = 0; k < tail.size(); ++k) EXPECT_EQ(tail[k], e1[k + 2]);
}

TEST(Loader, ValidationVisitsEachPatchOnceWithoutWrap) {
  TempDir dir;
  LoaderOptions o;
  o.shards = make_shards(dir);
  o.batch = 4;
  o.world = 3;
  o.shuffle = false;
  o.augment = false;
  o.wrap = false;
  std::multiset<int64_t> seen;
  for (int r = 0; r < 3; ++r) {
    o.rank = r;
    PatchLoader l(o);
    for (const auto& s : epoch_ids(l, 0)) seen.insert(s.begin(), s.end());
  }
  EXPECT_EQ(seen.size(), 14u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 14u);
}

TEST(Loader, AugmentationIsASymmetryOfTheSquareAppliedToInputsAndLabels) {
  std::vector<uint16_t> base(9);
  for (int i = 0; i < 9; ++i) base[static_cast<size_t>(i)] = static_cast<uint16_t>(i);
  std::set<std::vector<uint16_t>> results;
  for (int op = 0; op < 8; ++op) {
    auto v = base;
    augment_square(v.data(), 1, 3, op);
    std::vector<uint8_t> lab(base.begin(), base.end());
    augment_square(lab.data(), 1, 3, op);
    EXPECT_EQ(std::vector<uint16_t>(lab.begin(), lab.end()), v) << op;
    EXPECT_EQ(v[4], 4) << "the centre stays";
    results.insert(v);
  }
  EXPECT_EQ(results.size(), 8u);  // all eight symmetries are distinct
  auto v = base;
  augment_square(v.data(), 1, 3, 0);
  EXPECT_EQ(v, base);
}

TEST(Loader, RadiometricAugmentationIsSeededKeepsNoDataAndHazesTheBlueMost) {
  constexpr int64_t kPlane = 4096;
  std::vector<uint16_t> base(2 * kPlane, 1000);
  base[7] = 0;  // no data
  RadiometricAugment a;
  std::vector<uint16_t> off(base);
  augment_radiometry(off.data(), 2, kPlane, a, 1);
  EXPECT_EQ(off, base) << "off unless enabled";
  a.enabled = true;
  a.haze_weight = {1.0f, 0.1f};
  double blue = 0, red = 0;
  std::set<std::vector<uint16_t>> seen;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::vector<uint16_t> v(base);
    augment_radiometry(v.data(), 2, kPlane, a, seed);
    std::vector<uint16_t> again = base;
    augment_radiometry(again.data(), 2, kPlane, a, seed);
    ASSERT_EQ(v, again) << "a function of its seed";
    ASSERT_EQ(v[7], 0) << "no data stays no data";
    seen.insert(v);
    double m0 = 0, m1 = 0;
    for (int64_t i = 8; i < kPlane; ++i) m0 += v[static_cast<size_t>(i)], m1 += v[static_cast<size_t>(kPlane + i)];
    m0 /= kPlane - 8;
    m1 /= kPlane - 8;
    // gain within 4 sigma, haze within its range, noise averaged out
    EXPECT_GT(m0, 1000 * std::exp(-4 * a.gain_sigma) - 0.5 * a.haze_dn - 5);
    EXPECT_LT(m0, 1000 * std::exp(4 * a.gain_sigma) + a.haze_dn + 5);
    blue += m0 - 1000;
    red += m1 - 1000;
  }
  EXPECT_EQ(seen.size(), 200u);
  // The haze averages +0.25 x haze_dn x weight: about +75 DN in the blue, +7.5 in the red.
  EXPECT_NEAR(blue / 200, 0.25 * a.haze_dn, 30);
  EXPECT_NEAR(red / 200, 0.025 * a.haze_dn, 15);
}

TEST(Loader, RadiometricAugmentationAppliesToTrainingBatchesWhenAsked) {
  TempDir dir;
  LoaderOptions o;
  o.shards = make_shards(dir);
  o.batch = 3;
  o.augment = false;
  PatchLoader plain(o);
  o.radiometric.enabled = true;
  o.radiometric.haze_weight = {1.0f, 0.5f};
  PatchLoader hazy(o);
  plain.start_epoch(0);
  hazy.start_epoch(0);
  Batch a, b;
  ASSERT_TRUE(plain.next(a));
  ASSERT_TRUE(hazy.next(b));
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.inputs, b.inputs);
}

TEST(Loader, MissingShardIsAnErrorNamingIt) {
  TempDir dir;
  LoaderOptions o;
  o.shards = make_shards(dir);
  o.shards.push_back(dir / "shard-9.h5");
  try {
    PatchLoader l(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shard-9.h5"), std::string::npos) << e.what();
  }
}

}  // namespace
