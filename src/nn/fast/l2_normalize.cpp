#include "nn/fast/l2_normalize.h"

#include <algorithm>
#include <cmath>

#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {

constexpr int64_t kBlock = 512;  // pixels a block: the sums stay in L1

// sum[i] = sum_k x[k * hw + i]^2 (and dot[i] = sum_k x dy) for i < m.
STRATA_SIMD_CLONES void sum_squares(const float* x, int64_t c, int64_t hw, int64_t m, double* sum) {
  for (int64_t i = 0; i < m; ++i) sum[i] = 0.0;
  for (int64_t k = 0; k < c; ++k) {
    const float* xk = x + k * hw;
    for (int64_t i = 0; i < m; ++i) sum[i] += static_cast<double>(xk[i]) * xk[i];
  }
}

STRATA_SIMD_CLONES void sum_squares_dot(const float* x, const float* dy, int64_t c, int64_t hw, int64_t m, double* sum,
                                        double* dot) {
  for (int64_t i = 0; i < m; ++i) sum[i] = 0.0, dot[i] = 0.0;
  for (int64_t k = 0; k < c; ++k) {
    const float* xk = x + k * hw;
    const float* gk = dy + k * hw;
    for (int64_t i = 0; i < m; ++i) {
      const double v = xk[i];
      sum[i] += v * v;
      dot[i] += v * gk[i];
    }
  }
}

// y = x * scale per pixel, over every channel.
STRATA_SIMD_CLONES void scale_channels(const float* x, float* y, int64_t c, int64_t hw, int64_t m,
                                       const double* scale) {
  for (int64_t k = 0; k < c; ++k) {
    const float* xk = x + k * hw;
    float* yk = y + k * hw;
    for (int64_t i = 0; i < m; ++i) yk[i] = static_cast<float>(xk[i] * scale[i]);
  }
}

// dx = (dy - x * along) * scale per pixel.
STRATA_SIMD_CLONES void project_channels(const float* x, const float* dy, float* dx, int64_t c, int64_t hw, int64_t m,
                                         const double* along, const double* scale) {
  for (int64_t k = 0; k < c; ++k) {
    const float* xk = x + k * hw;
    const float* gk = dy + k * hw;
    float* dk = dx + k * hw;
    for (int64_t i = 0; i < m; ++i) dk[i] = static_cast<float>((gk[i] - xk[i] * along[i]) * scale[i]);
  }
}

// f(image offset, first pixel, pixel count) over the blocks of [begin, end).
template <class F>
void for_blocks(const L2NormalizeShape& s, int64_t begin, int64_t end, F&& f) {
  for (int64_t t = begin; t < end;) {
    const int64_t b = t / s.hw, i = t % s.hw;
    const int64_t m = std::min({kBlock, s.hw - i, end - t});
    f(b * s.c * s.hw + i, m);
    t += m;
  }
}

}  // namespace

void l2_normalize_forward(const L2NormalizeShape& s, const float* x, float* y, int64_t begin, int64_t end) {
  s.validate();
  double scale[kBlock];
  const double eps = s.eps;
  for_blocks(s, begin, end, [&](int64_t at, int64_t m) {
    sum_squares(x + at, s.c, s.hw, m, scale);
    for (int64_t i = 0; i < m; ++i) scale[i] = 1.0 / std::sqrt(std::max(scale[i], eps));
    scale_channels(x + at, y + at, s.c, s.hw, m, scale);
  });
}

void l2_normalize_backward(const L2NormalizeShape& s, const float* x, const float* dy, float* dx, int64_t begin,
                           int64_t end) {
  s.validate();
  double scale[kBlock], along[kBlock];
  const double eps = s.eps;
  for_blocks(s, begin, end, [&](int64_t at, int64_t m) {
    sum_squares_dot(x + at, dy + at, s.c, s.hw, m, scale, along);
    for (int64_t i = 0; i < m; ++i) {
      const double sum = scale[i];
      // Where sum <= eps the norm is the constant sqrt(eps): dx = dy / sqrt(eps).
      along[i] = sum > eps ? along[i] / sum : 0.0;
      scale[i] = 1.0 / std::sqrt(std::max(sum, eps));
    }
    project_channels(x + at, dy + at, dx + at, s.c, s.hw, m, along, scale);
  });
}

}  // namespace strata::nn::fast
