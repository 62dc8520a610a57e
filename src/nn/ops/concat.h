#pragma once
// Concatenation along channels of a [n, ca, hw] and b [n, cb, hw] into y [n, ca + cb, hw]
// (the U-Net skip connection); backward splits dy back into da and db.
#include <cstdint>

namespace strata::nn {
void concat_channels_forward_reference(const float* a, const float* b, float* y, int64_t n, int64_t ca, int64_t cb,
                                       int64_t hw);
void concat_channels_backward_reference(const float* dy, float* da, float* db, int64_t n, int64_t ca, int64_t cb,
                                        int64_t hw);
}  // namespace strata::nn
