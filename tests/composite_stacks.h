#pragma once
// Random Sentinel-2-like stacks with their geo::composite_reference result, shared by the tests
// of the CUDA composite (on the device: test_cuda_geo.cpp; its per-pixel code on the host:
// test_kernels_on_host.cpp). Few distinct values, so ties, nodata and out_nodata all occur.
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "geo/cloud_mask.h"
#include "geo/composite.h"

namespace strata::test {

struct StackCase {
  int64_t dates, bands, height, width;
  bool masks;
  double percentile;
  uint16_t out_nodata;
};

// 1x1, odd sizes, 13 bands, percentiles 0 / 30 / 50 / 100, out_nodata 0 / 7 / 65535, a stack
// past the CPU's sorting networks (40 dates), the most dates there can be (255), no dates.
inline const std::vector<StackCase>& stack_cases() {
  static const std::vector<StackCase> cases = {
      {1, 1, 1, 1, false, 50.0, 0}, {3, 2, 17, 13, true, 50.0, 0},      {10, 13, 9, 31, true, 50.0, 0},
      {10, 3, 9, 31, true, 0.0, 7}, {10, 3, 9, 31, true, 100.0, 65535}, {11, 3, 9, 31, true, 30.0, 0},
      {40, 2, 5, 7, true, 50.0, 0}, {255, 1, 2, 3, true, 25.0, 0},      {0, 2, 3, 3, false, 50.0, 0},
  };
  return cases;
}

struct Stack {
  StackCase c;
  std::vector<uint16_t> images;                  // [dates][bands][height][width]
  std::vector<uint8_t> masks;                    // [dates][height][width]
  std::vector<std::optional<uint16_t>> nodata;  // per date; every 5th has none
  std::vector<uint16_t> want;                    // the reference's composite
  std::vector<uint8_t> want_count;
  std::string what;
};

inline Stack make_stack(const StackCase& c) {
  const int64_t plane = c.height * c.width;
  Stack s{c, std::vector<uint16_t>(static_cast<size_t>(c.dates * c.bands * plane)),
          std::vector<uint8_t>(static_cast<size_t>(c.dates * plane)), {}, {}, {}, {}};
  std::mt19937_64 rng(static_cast<uint64_t>(3 + c.dates));
  std::uniform_int_distribution<int> value(0, 12), code(0, 7);
  for (uint16_t& v : s.images) {
    const int r = value(rng);
    v = r == 12 ? uint16_t{65535} : static_cast<uint16_t>(r);
  }
  for (uint8_t& m : s.masks) m = static_cast<uint8_t>(code(rng));  // 6, 7: not codes, so not clear
  if (c.masks && c.dates > 1)
    for (int64_t t = 0; t < c.dates; ++t) s.masks[static_cast<size_t>(t * plane)] = geo::code(geo::MaskCode::cloud);
  geo::CompositeInput in{c.bands, c.height, c.width, {}, {}, {}};
  for (int64_t t = 0; t < c.dates; ++t) {
    in.images.push_back(s.images.data() + t * c.bands * plane);
    if (c.masks) in.masks.push_back(s.masks.data() + t * plane);
    s.nodata.push_back(t % 5 == 4 ? std::nullopt : std::optional<uint16_t>(static_cast<uint16_t>(t % 3)));
  }
  in.nodata = s.nodata;
  s.want.resize(static_cast<size_t>(c.bands * plane));
  s.want_count.resize(static_cast<size_t>(plane));
  geo::composite_reference(in, geo::CompositeParams{c.percentile, c.out_nodata, 1},
                           geo::CompositeOutput{s.want.data(), s.want_count.data()});
  s.what = std::to_string(c.dates) + " dates x " + std::to_string(c.bands) + " bands, " + std::to_string(c.height) +
           "x" + std::to_string(c.width) + ", p " + std::to_string(c.percentile) + ", out_nodata " +
           std::to_string(c.out_nodata);
  return s;
}

}  // namespace strata::test
