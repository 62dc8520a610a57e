#include "nn/ops/concat.h"

#include <algorithm>

#include "core/checked.h"

namespace strata::nn {

void concat_channels_forward_reference(const float* a, const float* b, float* y, int64_t n, int64_t ca, int64_t cb,
                                       int64_t hw) {
  const int64_t sa = checked_mul(ca, hw), sb = checked_mul(cb, hw);
  for (int64_t i = 0; i < n; ++i) {
    std::copy(a + i * sa, a + (i + 1) * sa, y + i * (sa + sb));
    std::copy(b + i * sb, b + (i + 1) * sb, y + i * (sa + sb) + sa);
  }
}

void concat_channels_backward_reference(const float* dy, float* da, float* db, int64_t n, int64_t ca, int64_t cb,
                                        int64_t hw) {
  const int64_t sa = checked_mul(ca, hw), sb = checked_mul(cb, hw);
  for (int64_t i = 0; i < n; ++i) {
    if (da) std::copy(dy + i * (sa + sb), dy + i * (sa + sb) + sa, da + i * sa);
    if (db) std::copy(dy + i * (sa + sb) + sa, dy + (i + 1) * (sa + sb), db + i * sb);
  }
}

}  // namespace strata::nn
