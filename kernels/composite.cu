// The per-pixel percentile composite. Contract: geo::composite_reference (geo/composite.h), bit for
// bit: an observation is used when its mask is clear (or snow) and none of its bands is its date's
// nodata; of k used values per band the one at percentile_index(k, p) of the sorted list is taken
// (core/composite_rules.h), moved one DN off out_nodata; k = 0 gives out_nodata.
//
// One thread per pixel: it finds the used dates once (a 256-bit set in registers), then per band
// gathers their values into a local array and sorts it by insertion. Neighbouring threads read
// neighbouring pixels of each date, so every read is coalesced. Insertion sort costs k^2 / 4
// compares: nothing for the usual 10-30 dates, slow for stacks of hundreds.
#include <cmath>
#include <string>

#include "core/checked.h"
#include "core/composite_rules.h"
#include "kernels/cuda_check.h"
#include "kernels/geo_kernels.h"
#include "kernels/launch.cuh"

namespace strata::cuda {
namespace {

constexpr int kMaxDates = 255;  // the count band is uint8

struct Plan {
  int dates;
  int64_t bands, plane;
  uint16_t out_nodata;
  int nodata[kMaxDates];                // per date: the nodata DN, or -1
  uint8_t index_of_count[kMaxDates + 1];  // percentile_index(k) for k = 1..dates
};

__global__ void composite_kernel(const uint16_t* images, const uint8_t* masks, Plan p, uint16_t* out,
                                 uint8_t* count) {
  for (int64_t i = first_index(); i < p.plane; i += grid_stride()) {
    uint32_t used[(kMaxDates + 31) / 32] = {};
    int k = 0;
    for (int t = 0; t < p.dates; ++t) {
      bool ok = masks == nullptr || is_clear(masks[t * p.plane + i]);
      for (int64_t b = 0; ok && p.nodata[t] >= 0 && b < p.bands; ++b)
        ok = images[(t * p.bands + b) * p.plane + i] != p.nodata[t];
      if (ok) used[t / 32] |= 1u << (t % 32), ++k;
    }
    count[i] = static_cast<uint8_t>(k);
    for (int64_t b = 0; b < p.bands; ++b) {
      if (k == 0) {
        out[b * p.plane + i] = p.out_nodata;
        continue;
      }
      uint16_t values[kMaxDates];
      int j = 0;
      for (int t = 0; t < p.dates; ++t) {
        if (!(used[t / 32] >> (t % 32) & 1u)) continue;
        const uint16_t v = images[(t * p.bands + b) * p.plane + i];
        int pos = j++;
        for (; pos > 0 && values[pos - 1] > v; --pos) values[pos] = values[pos - 1];
        values[pos] = v;
      }
      out[b * p.plane + i] = away_from_nodata(values[p.index_of_count[k]], p.out_nodata);
    }
  }
}

}  // namespace

void composite(const CompositeStack& in, double percentile, uint16_t out_nodata, uint16_t* out, uint8_t* count,
               cudaStream_t stream) {
  check(in.dates >= 0 && in.bands >= 0 && in.height >= 0 && in.width >= 0, "composite: negative stack dimensions");
  check(in.dates <= kMaxDates,
        "composite: " + std::to_string(in.dates) + " dates; at most 255 fit the uint8 count band");
  check(in.nodata.empty() || static_cast<int64_t>(in.nodata.size()) == in.dates,
        "composite: " + std::to_string(in.nodata.size()) + " nodata values for " + std::to_string(in.dates) +
            " dates");
  check(percentile >= 0.0 && percentile <= 100.0,
        "composite: percentile " + std::to_string(percentile) + " is outside 0..100");
  check(out != nullptr && count != nullptr, "composite: no output buffers");
  check(in.dates == 0 || in.images != nullptr, "composite: no images");
  Plan p{};
  p.dates = static_cast<int>(in.dates);
  p.bands = in.bands;
  p.plane = checked_mul(in.height, in.width);
  (void)checked_product({in.dates, in.bands, p.plane});
  p.out_nodata = out_nodata;
  for (int t = 0; t < p.dates; ++t)
    p.nodata[t] = in.nodata.empty() || !in.nodata[static_cast<size_t>(t)] ? -1 : *in.nodata[static_cast<size_t>(t)];
  for (int k = 1; k <= p.dates; ++k) p.index_of_count[k] = static_cast<uint8_t>(percentile_index(k, percentile));
  if (p.plane == 0) return;
  composite_kernel<<<grid_for(p.plane), kThreads, 0, stream>>>(in.images, in.masks, p, out, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
