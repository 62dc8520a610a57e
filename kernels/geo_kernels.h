#pragma once
// CUDA versions of src/geo's cloud masks (geo/cloud_mask.h) and percentile composite
// (geo/composite.h), with the same contracts; tests/test_cuda_geo.cpp holds them to those
// references. kernels/ and src/geo are peers (docs/architecture.md): neither includes the
// other, so the per-pixel rules both follow are in core/mask_rules.h and core/composite_rules.h,
// and this header speaks in core's types.
//
// Every pointer is a device pointer and the work is queued on `stream` (nothing synchronises).
#include <cuda_runtime.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/mask_rules.h"

namespace strata::cuda {

// geo::cloud_mask_qa60_reference / cloud_mask_scl_reference.
void cloud_mask_qa60(const uint16_t* qa60, int64_t n, uint8_t* out, cudaStream_t stream);
void cloud_mask_scl(const uint8_t* scl, int64_t n, uint8_t* out, cudaStream_t stream);
// geo::cloud_mask_spectral_reference; Error when B2, B3, B4, B8 or B11 is missing.
void cloud_mask_spectral(const SpectralBands& bands, int64_t width, int64_t height, const SpectralParams& params,
                         uint8_t* out, cudaStream_t stream);
// geo::dilate_mask; in and out must not overlap.
void dilate_mask(const uint8_t* in, int64_t width, int64_t height, int radius, DilationShape shape, uint8_t* out,
                 cudaStream_t stream);

// The stack of geo::CompositeInput as one device array, dates after one another.
struct CompositeStack {
  int64_t dates = 0, bands = 0, height = 0, width = 0;
  const uint16_t* images = nullptr;              // [dates][bands][height][width]
  const uint8_t* masks = nullptr;                // [dates][height][width] MaskCode, or null: all clear
  std::vector<std::optional<uint16_t>> nodata;  // per date, or empty: none
};
// geo::composite_reference: out [bands][height][width], count [height][width]; at most 255 dates.
void composite(const CompositeStack& in, double percentile, uint16_t out_nodata, uint16_t* out, uint8_t* count,
               cudaStream_t stream);

}  // namespace strata::cuda
