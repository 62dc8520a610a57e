#pragma once
// The small rules of the percentile composite (contract in geo/composite.h) that the CPU
// composites (src/geo) and the CUDA one (kernels/) share; in core because those two are peers.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/host_device.h"

namespace strata {

// The index in a sorted list of k values (k >= 1) that percentile p selects:
// floor(p / 100 * (k - 1)), numpy's percentile(method="lower").
inline int64_t percentile_index(int64_t k, double p) {
  check(k >= 1, "percentile_index: no values");
  // p * (k - 1) is exact for the usual integer percentiles; the epsilon keeps 30 * 10 / 100 at 3.
  const auto i = static_cast<int64_t>(std::floor(p * static_cast<double>(k - 1) / 100.0 + 1e-9));
  return std::clamp<int64_t>(i, 0, k - 1);
}

// A used value equal to out_nodata moves one DN away, so that out_nodata only means "no observation".
STRATA_HOST_DEVICE inline uint16_t away_from_nodata(uint16_t v, uint16_t out_nodata) {
  if (v != out_nodata) return v;
  return out_nodata == 65535 ? uint16_t{65534} : static_cast<uint16_t>(out_nodata + 1);
}

}  // namespace strata
