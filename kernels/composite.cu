// The per-pixel percentile composite. Contract: geo::composite_reference (geo/composite.h), bit for
// bit: an observation is used when its mask is clear (or snow) and none of its bands is its date's
// nodata; of k used values per band the one at percentile_index(k, p) of the sorted list is taken
// (core/composite_rules.h), moved one DN off out_nodata; k = 0 gives out_nodata.
//
// One thread per pixel (composite_pixel.h): neighbouring threads read neighbouring pixels of each
// date, so every read is coalesced. The per-band insertion sort costs k^2 / 4 compares: nothing
// for the usual 10-30 dates, slow for stacks of hundreds (a sorting network or radix select would
// be next). The plan (1.3 KB) travels as a kernel parameter, in constant memory.
#include "kernels/composite_pixel.h"
#include "kernels/cuda_check.h"
#include "kernels/geo_kernels.h"
#include "kernels/launch.cuh"

namespace strata::cuda {
namespace {

__global__ void composite_kernel(const uint16_t* images, const uint8_t* masks, CompositePlan p, uint16_t* out,
                                 uint8_t* count) {
  for (int64_t i = first_index(); i < p.plane; i += grid_stride()) composite_pixel(images, masks, p, i, out, count);
}

}  // namespace

void composite(const CompositeStack& in, double percentile, uint16_t out_nodata, uint16_t* out, uint8_t* count,
               cudaStream_t stream) {
  const CompositePlan p = make_composite_plan(in, percentile, out_nodata);
  check(out != nullptr && count != nullptr, "composite: no output buffers");
  if (p.plane == 0) return;
  STRATA_LAUNCH(composite_kernel, grid_for(p.plane), kThreads, 0, stream, in.images, in.masks, p, out, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
