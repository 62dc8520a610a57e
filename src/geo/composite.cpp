#include "geo/composite.h"

#include <algorithm>
#include <string>

#include "core/checked.h"
#include "core/error.h"
#include "geo/cloud_mask.h"
#include "geo/composite_detail.h"

namespace strata::geo {

void composite_reference(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out) {
  detail::validate(in, params, out);
  const int64_t plane = in.height * in.width;
  std::vector<int64_t> used;
  std::vector<uint16_t> values;
  for (int64_t i = 0; i < plane; ++i) {
    used.clear();
    for (int64_t t = 0; t < in.dates(); ++t) {
      const uint8_t* mask = detail::mask_of(in, t);
      bool ok = mask == nullptr || is_clear(mask[i]);
      const std::optional<uint16_t> nd = detail::nodata_of(in, t);
      for (int64_t b = 0; ok && nd && b < in.bands; ++b) ok = in.images[static_cast<size_t>(t)][b * plane + i] != *nd;
      if (ok) used.push_back(t);
    }
    const auto k = static_cast<int64_t>(used.size());
    out.count[i] = static_cast<uint8_t>(k);
    for (int64_t b = 0; b < in.bands; ++b) {
      if (k == 0) {
        out.out[b * plane + i] = params.out_nodata;
        continue;
      }
      values.clear();
      for (int64_t t : used) values.push_back(in.images[static_cast<size_t>(t)][b * plane + i]);
      std::sort(values.begin(), values.end());
      const uint16_t v = values[static_cast<size_t>(percentile_index(k, params.percentile))];
      out.out[b * plane + i] = detail::away_from_nodata(v, params.out_nodata);
    }
  }
}

}  // namespace strata::geo
