#pragma once
// What composite_reference() and composite_fast() share: input checks and the small rules of
// the contract in composite.h. Internal to src/geo.
#include <optional>
#include <string>

#include "core/checked.h"
#include "core/error.h"
#include "geo/composite.h"

namespace strata::geo::detail {

constexpr int64_t kMaxDates = 255;  // the count band is uint8

inline void validate(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out) {
  const int64_t t = in.dates();
  check(in.bands >= 0 && in.height >= 0 && in.width >= 0, "composite: negative stack dimensions");
  check(t <= kMaxDates, "composite: " + std::to_string(t) + " dates; at most 255 fit the uint8 count band");
  check(in.masks.empty() || static_cast<int64_t>(in.masks.size()) == t,
        "composite: " + std::to_string(in.masks.size()) + " masks for " + std::to_string(t) + " dates");
  check(in.nodata.empty() || static_cast<int64_t>(in.nodata.size()) == t,
        "composite: " + std::to_string(in.nodata.size()) + " nodata values for " + std::to_string(t) + " dates");
  for (const uint16_t* image : in.images) check(image != nullptr, "composite: a date has no image");
  check(params.percentile >= 0.0 && params.percentile <= 100.0,
        "composite: percentile " + std::to_string(params.percentile) + " is outside 0..100");
  check(out.out != nullptr && out.count != nullptr, "composite: no output buffers");
  checked_product({in.bands, in.height, in.width});
}

inline const uint8_t* mask_of(const CompositeInput& in, int64_t t) {
  return in.masks.empty() ? nullptr : in.masks[static_cast<size_t>(t)];
}
inline std::optional<uint16_t> nodata_of(const CompositeInput& in, int64_t t) {
  return in.nodata.empty() ? std::nullopt : in.nodata[static_cast<size_t>(t)];
}

using strata::away_from_nodata;  // core/composite_rules.h

}  // namespace strata::geo::detail
