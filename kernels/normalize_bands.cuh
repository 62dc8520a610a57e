#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "nn/normalize.h"

namespace strata::cuda {

// Device-side copy of the per-band constants lives in `params` (2 * bands floats: a then b).
void normalize_bands(const uint16_t* dn, float* out, nn::NormalizationMode mode, const float* params,
                     int64_t batch, int64_t bands, int64_t pixels, cudaStream_t stream);

}  // namespace strata::cuda
