#pragma once
// One pixel of the CUDA percentile composite (composite.cu), and the plan it reads: host and
// device code, so that tests/test_kernels_on_host.cpp holds this per-pixel algorithm (a used-date
// bit set, insertion sort) to geo::composite_reference without a GPU.
#include <cstdint>
#include <string>

#include "core/checked.h"
#include "core/composite_rules.h"
#include "core/host_device.h"
#include "core/mask_rules.h"
#include "kernels/geo_kernels.h"

namespace strata::cuda {

inline constexpr int kCompositeMaxDates = 255;  // the count band is uint8

struct CompositePlan {
  int dates = 0;
  int64_t bands = 0, plane = 0;
  uint16_t out_nodata = 0;
  int nodata[kCompositeMaxDates] = {};                // per date: the nodata DN, or -1
  uint8_t index_of_count[kCompositeMaxDates + 1] = {};  // percentile_index(k) for k = 1..dates
};

// Checks the stack as geo::composite_reference does (same errors) and tabulates what the pixels need.
inline CompositePlan make_composite_plan(const CompositeStack& in, double percentile, uint16_t out_nodata) {
  check(in.dates >= 0 && in.bands >= 0 && in.height >= 0 && in.width >= 0, "composite: negative stack dimensions");
  check(in.dates <= kCompositeMaxDates,
        "composite: " + std::to_string(in.dates) + " dates; at most 255 fit the uint8 count band");
  check(in.nodata.empty() || static_cast<int64_t>(in.nodata.size()) == in.dates,
        "composite: " + std::to_string(in.nodata.size()) + " nodata values for " + std::to_string(in.dates) +
            " dates");
  check(percentile >= 0.0 && percentile <= 100.0,
        "composite: percentile " + std::to_string(percentile) + " is outside 0..100");
  check(in.dates == 0 || in.images != nullptr, "composite: no images");
  CompositePlan p;
  p.dates = static_cast<int>(in.dates);
  p.bands = in.bands;
  p.plane = checked_mul(in.height, in.width);
  (void)checked_product({in.dates, in.bands, p.plane});
  p.out_nodata = out_nodata;
  for (int t = 0; t < p.dates; ++t) {
    const auto& nd = in.nodata.empty() ? std::nullopt : in.nodata[static_cast<size_t>(t)];
    p.nodata[t] = nd ? *nd : -1;
  }
  for (int k = 1; k <= p.dates; ++k) p.index_of_count[k] = static_cast<uint8_t>(percentile_index(k, percentile));
  return p;
}

// Pixel i: the used dates once (mask clear, no band at the date's nodata) as a bit set, then per
// band their values sorted by insertion and the planned one taken, moved off out_nodata.
STRATA_HOST_DEVICE inline void composite_pixel(const uint16_t* images, const uint8_t* masks, const CompositePlan& p,
                                               int64_t i, uint16_t* out, uint8_t* count) {
  uint32_t used[(kCompositeMaxDates + 31) / 32] = {};
  int k = 0;
  for (int t = 0; t < p.dates; ++t) {
    bool ok = masks == nullptr || is_clear(masks[t * p.plane + i]);
    for (int64_t b = 0; ok && p.nodata[t] >= 0 && b < p.bands; ++b)
      ok = images[(t * p.bands + b) * p.plane + i] != p.nodata[t];
    if (ok) {
      used[t / 32] |= 1u << (t % 32);
      ++k;
    }
  }
  count[i] = static_cast<uint8_t>(k);
  for (int64_t b = 0; b < p.bands; ++b) {
    if (k == 0) {
      out[b * p.plane + i] = p.out_nodata;
      continue;
    }
    uint16_t values[kCompositeMaxDates];
    int j = 0;
    for (int t = 0; t < p.dates; ++t) {
      if (!((used[t / 32] >> (t % 32)) & 1u)) continue;
      const uint16_t v = images[(t * p.bands + b) * p.plane + i];
      int pos = j++;
      for (; pos > 0 && values[pos - 1] > v; --pos) values[pos] = values[pos - 1];
      values[pos] = v;
    }
    out[b * p.plane + i] = away_from_nodata(values[p.index_of_count[k]], p.out_nodata);
  }
}

}  // namespace strata::cuda
