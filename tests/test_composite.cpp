// The percentile composite: hand-computed cases, the fast path against the reference on random
// stacks, and the real WorldCereal monthly stack with its two empty months.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "geo/cloud_mask.h"
#include "geo/composite.h"
#include "geo/scene.h"
#include "test_util.h"

using namespace strata;
using namespace strata::geo;

namespace {

constexpr uint8_t kClear = code(MaskCode::clear), kCloud = code(MaskCode::cloud), kSnow = code(MaskCode::snow);

struct Result {
  std::vector<uint16_t> out;
  std::vector<uint8_t> count;
};

using CompositeFn = void (*)(const CompositeInput&, const CompositeParams&, const CompositeOutput&);

Result run(CompositeFn fn, const CompositeInput& in, const CompositeParams& p) {
  Result r;
  r.out.assign(static_cast<size_t>(in.bands * in.height * in.width), 4242);
  r.count.assign(static_cast<size_t>(in.height * in.width), 222);
  fn(in, p, {r.out.data(), r.count.data()});
  return r;
}

// Both paths on the same input must give the same, hand-computed answer.
void expect_both(const CompositeInput& in, const CompositeParams& p, const std::vector<uint16_t>& out,
                 const std::vector<uint8_t>& count) {
  for (CompositeFn fn : {&composite_reference, &composite_fast}) {
    const Result r = run(fn, in, p);
    EXPECT_EQ(r.out, out) << (fn == &composite_reference ? "reference" : "fast");
    EXPECT_EQ(r.count, count) << (fn == &composite_reference ? "reference" : "fast");
  }
}

TEST(Composite, PercentileIndex) {
  EXPECT_EQ(percentile_index(1, 50), 0);
  EXPECT_EQ(percentile_index(2, 50), 0);  // even count: the lower middle
  EXPECT_EQ(percentile_index(3, 50), 1);
  EXPECT_EQ(percentile_index(4, 50), 1);
  EXPECT_EQ(percentile_index(10, 50), 4);
  EXPECT_EQ(percentile_index(11, 30), 3);  // 30 * 10 / 100 is 3, not 2.9999
  EXPECT_EQ(percentile_index(5, 25), 1);
  EXPECT_EQ(percentile_index(5, 0), 0);
  EXPECT_EQ(percentile_index(5, 100), 4);
  EXPECT_THROW(percentile_index(0, 50), Error);
}

TEST(Composite, HandComputedMedian) {
  // 3 dates, 1 band, 1 x 5 pixels.
  //   pixel 0: 30 10 20, all clear            -> median 20, count 3
  //   pixel 1: 30 10 20, date 2 cloud         -> {10, 30}: lower middle 10, count 2
  //   pixel 2: all cloud                      -> nodata 0, count 0
  //   pixel 3: 5 7 9, date 1 holds nodata 7   -> {5, 9}: 5, count 2
  //   pixel 4: 40 50 60, date 0 snow (clear)  -> 50, count 3
  const std::vector<uint16_t> d0 = {30, 30, 1, 5, 40}, d1 = {10, 10, 2, 7, 50}, d2 = {20, 20, 3, 9, 60};
  const std::vector<uint8_t> m0 = {kClear, kClear, kCloud, kClear, kSnow}, m1 = {kClear, kClear, kCloud, kClear, kClear},
                             m2 = {kClear, kCloud, kCloud, kClear, kClear};
  CompositeInput in;
  in.bands = 1, in.height = 1, in.width = 5;
  in.images = {d0.data(), d1.data(), d2.data()};
  in.masks = {m0.data(), m1.data(), m2.data()};
  in.nodata = {std::nullopt, uint16_t{7}, std::nullopt};
  expect_both(in, {}, {20, 10, 0, 5, 50}, {3, 2, 0, 2, 3});

  CompositeParams p;
  p.percentile = 100;
  expect_both(in, p, {30, 30, 0, 9, 60}, {3, 2, 0, 2, 3});
  p.percentile = 0;
  p.out_nodata = 65535;
  expect_both(in, p, {10, 10, 65535, 5, 40}, {3, 2, 0, 2, 3});
}

TEST(Composite, NodataInOneBandDropsTheWholeObservation) {
  // 2 bands, 1 pixel, 3 dates. Date 1 has nodata (0) in band 1 only: it is dropped from both bands.
  const std::vector<uint16_t> d0 = {100, 1000}, d1 = {300, 0}, d2 = {200, 2000};
  CompositeInput in;
  in.bands = 2, in.height = 1, in.width = 1;
  in.images = {d0.data(), d1.data(), d2.data()};
  in.nodata = {uint16_t{0}, uint16_t{0}, uint16_t{0}};
  // Without it band 0 would be median(100, 300, 200) = 200; with it, the lower middle of {100, 200}.
  expect_both(in, {}, {100, 1000}, {2});
}

TEST(Composite, UsedValueEqualToOutNodataMovesOneDn) {
  // A real 0 DN (input nodata is 65535 here) must not come out as the output nodata 0.
  const std::vector<uint16_t> d0 = {0, 65535, 0}, d1 = {0, 65535, 65534};
  CompositeInput in;
  in.bands = 1, in.height = 1, in.width = 3;
  in.images = {d0.data(), d1.data()};
  in.nodata = {uint16_t{65535}, std::nullopt};  // date 1 has no nodata: its 65535 is a value
  expect_both(in, {}, {1, 65535, 1}, {2, 1, 2});
  CompositeParams p;
  p.out_nodata = 65535;
  expect_both(in, p, {0, 65534, 0}, {2, 1, 2});
}

TEST(Composite, NullMaskMeansAllClear) {
  // Date 0 has no mask (all clear), date 1 masks pixel 0: pixel 0 has {5}, pixel 1 has {7, 3} -> 3.
  const std::vector<uint16_t> d0 = {5, 7}, d1 = {9, 3};
  const std::vector<uint8_t> m1 = {kCloud, kClear};
  CompositeInput in;
  in.bands = 1, in.height = 1, in.width = 2;
  in.images = {d0.data(), d1.data()};
  in.masks = {nullptr, m1.data()};
  expect_both(in, {}, {5, 3}, {1, 2});
}

TEST(Composite, NoDatesGivesNodataEverywhere) {
  CompositeInput in;
  in.bands = 2, in.height = 2, in.width = 2;
  expect_both(in, {}, std::vector<uint16_t>(8, 0), std::vector<uint8_t>(4, 0));
}

TEST(Composite, BadInputsAreErrors) {
  const std::vector<uint16_t> d(4, 1);
  const std::vector<uint8_t> m(4, 0);
  CompositeInput in;
  in.bands = 1, in.height = 2, in.width = 2;
  in.images = {d.data(), d.data()};
  in.masks = {m.data()};  // one mask for two dates
  std::vector<uint16_t> out(4);
  std::vector<uint8_t> count(4);
  EXPECT_THROW(composite_reference(in, {}, {out.data(), count.data()}), Error);
  EXPECT_THROW(composite_fast(in, {}, {out.data(), count.data()}), Error);
  in.masks.clear();
  CompositeParams p;
  p.percentile = 101;
  EXPECT_THROW(composite_fast(in, p, {out.data(), count.data()}), Error);
  p = {};
  p.threads = 0;
  EXPECT_THROW(composite_fast(in, p, {out.data(), count.data()}), Error);
  in.images.assign(256, d.data());  // the count band is uint8
  EXPECT_THROW(composite_reference(in, {}, {out.data(), count.data()}), Error);
}

// ---- fast against reference on random stacks ----

struct RandomCase {
  std::string name;
  int dates, bands;
  int64_t height, width;
  int threads;
  double percentile;
  double cloud_probability;
  int value_range;  // values in [0, value_range); small ranges make many ties
};

void PrintTo(const RandomCase& c, std::ostream* os) { *os << c.name; }

class CompositeRandom : public testing::TestWithParam<RandomCase> {};

TEST_P(CompositeRandom, FastEqualsReference) {
  const RandomCase& c = GetParam();
  std::mt19937 rng(12345u + static_cast<unsigned>(c.dates * 131 + c.width));
  const int64_t plane = c.height * c.width;
  std::vector<std::vector<uint16_t>> images(static_cast<size_t>(c.dates));
  std::vector<std::vector<uint8_t>> masks(static_cast<size_t>(c.dates));
  std::uniform_int_distribution<int> value(0, c.value_range - 1);
  std::uniform_real_distribution<double> u(0, 1);
  CompositeInput in;
  in.bands = c.bands, in.height = c.height, in.width = c.width;
  for (int t = 0; t < c.dates; ++t) {
    auto& img = images[static_cast<size_t>(t)];
    auto& m = masks[static_cast<size_t>(t)];
    img.resize(static_cast<size_t>(c.bands * plane));
    for (auto& v : img) v = static_cast<uint16_t>(value(rng));
    m.resize(static_cast<size_t>(plane));
    for (int64_t i = 0; i < plane; ++i) {
      // Every 7th pixel is masked on every date: it must come out as nodata.
      const bool cloudy = i % 7 == 3 || u(rng) < c.cloud_probability;
      m[static_cast<size_t>(i)] = cloudy ? static_cast<uint8_t>(1 + rng() % 4) : (rng() % 5 == 0 ? kSnow : kClear);
    }
    in.images.push_back(img.data());
    in.masks.push_back(m.data());
    // Every third date declares a nodata value that occurs among the values.
    in.nodata.push_back(t % 3 == 1 ? std::optional<uint16_t>(static_cast<uint16_t>(value(rng))) : std::nullopt);
  }
  CompositeParams p;
  p.percentile = c.percentile;
  p.threads = c.threads;
  const Result ref = run(&composite_reference, in, p);
  const Result fast = run(&composite_fast, in, p);
  ASSERT_EQ(ref.count, fast.count);
  ASSERT_EQ(ref.out, fast.out);
  // The case must exercise what it claims: some pixels with observations and some without.
  const auto empty = std::count(ref.count.begin(), ref.count.end(), 0);
  if (plane > 3) {
    EXPECT_GT(empty, 0);
  }
  if (c.cloud_probability < 0.9 && plane > 7) {
    EXPECT_LT(empty, plane);
  }
  for (int64_t i = 0; i < plane; ++i) {
    if (ref.count[static_cast<size_t>(i)] != 0) continue;
    for (int b = 0; b < c.bands; ++b) ASSERT_EQ(ref.out[static_cast<size_t>(b * plane + i)], p.out_nodata);
  }
}

std::vector<RandomCase> random_cases() {
  std::vector<RandomCase> cases = {
      {"pixel_1x1_T1", 1, 1, 1, 1, 1, 50, 0.3, 65536},
      {"row_1x37_T4", 4, 3, 1, 37, 1, 50, 0.3, 65536},
      {"column_37x1_T4_2threads", 4, 3, 37, 1, 2, 50, 0.3, 65536},
      {"odd_17x33_T10", 10, 13, 17, 33, 1, 50, 0.3, 65536},
      {"odd_17x33_T10_2threads", 10, 13, 17, 33, 2, 50, 0.3, 65536},
      {"odd_17x33_T9_ties", 9, 4, 17, 33, 2, 50, 0.2, 5},
      {"p25_17x33_T12", 12, 2, 17, 33, 2, 25, 0.3, 65536},
      {"p90_17x33_T7", 7, 2, 17, 33, 1, 90, 0.3, 300},
      {"mostly_cloudy_23x29_T6", 6, 3, 23, 29, 2, 50, 0.95, 65536},
      {"blocks_40x70_T13_3threads", 13, 2, 40, 70, 3, 50, 0.4, 65536},
      {"long_stack_9x11_T40_per_pixel_path", 40, 2, 9, 11, 2, 50, 0.3, 65536},
      {"long_stack_9x11_T33_p75", 33, 2, 9, 11, 1, 75, 0.3, 1000},
  };
  // Every date count the network path serves, even and odd counts of clear observations.
  for (int t = 1; t <= 32; ++t)
    cases.push_back({"dates_" + std::to_string(t), t, 2, 5, 13, 2, 50, 0.35, t % 2 ? 65536 : 50});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Stacks, CompositeRandom, testing::ValuesIn(random_cases()),
                         [](const testing::TestParamInfo<RandomCase>& i) { return i.param.name; });

// ---- the real WorldCereal monthly stack ----

struct MonthlyStack {
  std::vector<std::string> months;
  std::vector<TensorU16> images;
  std::optional<double> nodata;
  int64_t width = 0, height = 0;
  std::vector<std::string> bands = {"B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B12"};
};

MonthlyStack read_monthly(const std::vector<std::string>& months) {
  MonthlyStack s;
  s.months = months;
  for (const auto& m : months) {
    SceneOptions o;
    o.harmonize = Harmonize::no;  // BOA composites before baseline 04.00
    const Scene scene = Scene::open(test::real_data("worldcereal-belgium-monthly/S2_L2A_monthly_" + m + ".tif"), o);
    s.width = scene.grid().width, s.height = scene.grid().height;
    s.nodata = scene.nodata();
    s.images.push_back(scene.read(s.bands, scene.grid().full()));
  }
  return s;
}

CompositeInput input_of(const MonthlyStack& s) {
  CompositeInput in;
  in.bands = static_cast<int64_t>(s.bands.size()), in.height = s.height, in.width = s.width;
  for (const auto& img : s.images) {
    in.images.push_back(img.data());
    in.nodata.push_back(static_cast<uint16_t>(*s.nodata));
  }
  return in;  // no masks: upstream compositing removed the clouds
}

const std::vector<std::string> kAllMonths = {"2020-11", "2020-12", "2021-01", "2021-02", "2021-03", "2021-04",
                                             "2021-05", "2021-06", "2021-07", "2021-08", "2021-09", "2021-10"};

TEST(CompositeReal, WorldCerealYearSkipsTheEmptyMonths) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  const MonthlyStack s = read_monthly(kAllMonths);
  ASSERT_EQ(s.nodata, 65535.0);
  ASSERT_EQ(s.width, 100);
  const CompositeInput in = input_of(s);
  CompositeParams p;
  p.threads = 2;
  const Result fast = run(&composite_fast, in, p);
  const Result ref = run(&composite_reference, in, p);
  ASSERT_EQ(fast.out, ref.out);
  ASSERT_EQ(fast.count, ref.count);

  // 2020-12 and 2021-01 are all 65535; the other ten months are fully valid (months.json).
  for (uint8_t c : fast.count) ASSERT_EQ(c, 10);
  const int64_t plane = s.width * s.height;
  for (uint16_t v : fast.out) {
    ASSERT_NE(v, 65535) << "an empty month leaked into the composite";
    ASSERT_NE(v, 0);
    ASSERT_LT(v, 12000) << "not a plausible reflectance";
  }
  // The median must equal the one of the ten valid months alone: the empty ones contribute nothing.
  std::vector<std::string> valid_months;
  for (const auto& m : kAllMonths)
    if (m != "2020-12" && m != "2021-01") valid_months.push_back(m);
  const Result ten = run(&composite_fast, input_of(read_monthly(valid_months)), p);
  EXPECT_EQ(ten.out, fast.out);

  // Farmland over a year: NIR (B8, band 6) above red (B4, band 2) on average, blue low.
  double red = 0, nir = 0, blue = 0;
  for (int64_t i = 0; i < plane; ++i) {
    blue += fast.out[static_cast<size_t>(0 * plane + i)];
    red += fast.out[static_cast<size_t>(2 * plane + i)];
    nir += fast.out[static_cast<size_t>(6 * plane + i)];
  }
  EXPECT_GT(nir / plane, 1.5 * red / plane);
  EXPECT_GT(blue / plane, 100);
  EXPECT_LT(blue / plane, 2000);
}

TEST(CompositeReal, WorldCerealDecemberAndJanuaryAreNodataNotZeros) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  const MonthlyStack s = read_monthly({"2020-12", "2021-01"});
  const CompositeInput in = input_of(s);
  for (uint16_t out_nodata : {uint16_t{0}, uint16_t{65535}}) {
    CompositeParams p;
    p.out_nodata = out_nodata;
    p.threads = 2;
    for (CompositeFn fn : {&composite_reference, &composite_fast}) {
      const Result r = run(fn, in, p);
      ASSERT_EQ(r.count.size(), 100u * 100u);
      EXPECT_TRUE(std::all_of(r.count.begin(), r.count.end(), [](uint8_t c) { return c == 0; }));
      EXPECT_TRUE(std::all_of(r.out.begin(), r.out.end(), [&](uint16_t v) { return v == out_nodata; }));
    }
  }
}

TEST(CompositeReal, WorldCerealWithACloudMaskDropsMaskedMonths) {
  if (!test::have_real_data()) GTEST_SKIP() << "no real samples at " << STRATA_SHARED_DATA;
  // Mask the left half of every month but 2021-06: there the composite must be exactly 2021-06.
  const MonthlyStack s = read_monthly(kAllMonths);
  CompositeInput in = input_of(s);
  const int64_t plane = s.width * s.height;
  std::vector<uint8_t> left_cloudy(static_cast<size_t>(plane), kClear), clear(static_cast<size_t>(plane), kClear);
  for (int64_t y = 0; y < s.height; ++y)
    for (int64_t x = 0; x < s.width / 2; ++x) left_cloudy[static_cast<size_t>(y * s.width + x)] = kCloud;
  size_t june = 0;
  for (size_t t = 0; t < kAllMonths.size(); ++t) {
    in.masks.push_back(kAllMonths[t] == "2021-06" ? clear.data() : left_cloudy.data());
    if (kAllMonths[t] == "2021-06") june = t;
  }
  CompositeParams p;
  p.threads = 2;
  const Result r = run(&composite_fast, in, p);
  EXPECT_EQ(r.out, run(&composite_reference, in, p).out);
  for (int64_t y = 0; y < s.height; ++y) {
    EXPECT_EQ(r.count[static_cast<size_t>(y * s.width)], 1);
    EXPECT_EQ(r.count[static_cast<size_t>(y * s.width + s.width - 1)], 10);
    for (int64_t b = 0; b < in.bands; ++b)
      ASSERT_EQ(r.out[static_cast<size_t>(b * plane + y * s.width)], s.images[june][b * plane + y * s.width]);
  }
}

}  // namespace
