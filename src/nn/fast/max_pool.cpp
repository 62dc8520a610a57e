#include "nn/fast/max_pool.h"

#include <algorithm>

#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {

// One output row: inputs r0, r1 (two rows of x), gradients d0, d1 (the same rows of dx).
STRATA_SIMD_CLONES void backward_row(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                     int64_t ow) {
  for (int64_t ox = 0; ox < ow; ++ox) {
    const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1], v = g[ox];
    // The first maximum in row-major order, as the reference's strict comparisons pick it.
    float best = a;
    int k = 0;
    k = b > best ? 1 : k, best = b > best ? b : best;
    k = c > best ? 2 : k, best = c > best ? c : best;
    k = d > best ? 3 : k;
    d0[2 * ox] = k == 0 ? v : 0.0f;
    d0[2 * ox + 1] = k == 1 ? v : 0.0f;
    d1[2 * ox] = k == 2 ? v : 0.0f;
    d1[2 * ox + 1] = k == 3 ? v : 0.0f;
  }
}

}  // namespace

void max_pool2x2_backward(const PoolShape& s, const float* x, const float* dy, float* dx) {
  s.validate();
  const int64_t oh = s.out_h(), ow = s.out_w();
  for (int64_t p = 0; p < s.n * s.c; ++p) {
    const float* xp = x + p * s.h * s.w;
    float* dp = dx + p * s.h * s.w;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const int64_t row = 2 * oy * s.w;
      backward_row(xp + row, xp + row + s.w, dy + (p * oh + oy) * ow, dp + row, dp + row + s.w, ow);
      if (s.w % 2) dp[row + s.w - 1] = dp[row + 2 * s.w - 1] = 0.0f;  // the dropped column
    }
    if (s.h % 2) std::fill(dp + (s.h - 1) * s.w, dp + s.h * s.w, 0.0f);  // the dropped row
  }
}

}  // namespace strata::nn::fast
