#pragma once
// Per-pixel percentile (median by default) composite of a stack of Sentinel-2 dates over
// their clear observations, plus a band counting those observations.
//
// The contract, which composite_reference() spells out and composite_fast() must match bit for bit:
// - An observation (date t, pixel) is used when masks[t] says clear there (is_clear(): clear or
//   snow; a null mask means all clear) and none of its bands holds date t's nodata value. All
//   bands of a pixel therefore draw on the same dates, and count[pixel] is how many there are.
// - With k used observations sorted ascending per band, the result is the one at index
//   percentile_index(k, p) = floor(p / 100 * (k - 1)): numpy's percentile(method="lower").
//   The median (p = 50) of an even count is thus the lower of the two middle values. The result
//   is always a value that was observed, never an interpolation.
// - A pixel with k = 0 gets out_nodata in every band: never a fill that looks like reflectance.
//   A used value that equals out_nodata is moved one DN away (0 -> 1, 65535 -> 65534, else +1),
//   so out_nodata in the output always means "no observation"; count == 0 says the same.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/composite_rules.h"

namespace strata::geo {

struct CompositeInput {
  int64_t bands = 0, height = 0, width = 0;
  std::vector<const uint16_t*> images;           // per date: [bands][height][width] DN
  std::vector<const uint8_t*> masks;             // per date: [height][width] MaskCode, or nullptr
  std::vector<std::optional<uint16_t>> nodata;   // per date: the DN that means "no data", if any
  int64_t dates() const { return static_cast<int64_t>(images.size()); }
};

struct CompositeParams {
  double percentile = 50.0;  // 0..100; 50 = median
  // What a pixel with no clear observation gets. 0 is Sentinel-2's own nodata DN and is never a
  // harmonised reflectance; pick another value only if a consumer needs it.
  uint16_t out_nodata = 0;
  int threads = 1;  // composite_fast only: row blocks are split over this many std::threads
};

// Where results go: out [bands][height][width], count [height][width]. Dates are at most 255.
struct CompositeOutput {
  uint16_t* out = nullptr;
  uint8_t* count = nullptr;
};

// The index in a sorted list of k values (k >= 1) that percentile p selects (core/composite_rules.h,
// shared with the CUDA composite in kernels/).
using strata::percentile_index;

// The specification: per pixel and band, gather, sort, pick. Obvious and slow.
void composite_reference(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out);

// The same result, fast (composite_fast.cpp): pixels in blocks of 256, each date's validity found
// once per block, then per band and 32 pixels at a time a sorting network across dates in vector
// registers (unused observations set to 65535 so that they sort last), each lane picking the row
// its count asks for. Stacks of more than 32 dates use a per-pixel nth_element instead. Threads
// take contiguous row ranges; params.threads = 1 runs on the calling thread only.
void composite_fast(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out);

}  // namespace strata::geo
