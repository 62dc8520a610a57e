#include "nn/fast/batch_norm.h"

#include <cmath>

#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {

constexpr int kLanes = 16;

STRATA_SIMD_CLONES double row_sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  double s = 0.0;
  for (; i < n; ++i) s += x[i];
  for (float a : acc) s += a;
  return s;
}

STRATA_SIMD_CLONES double row_sq_dev(const float* x, int64_t n, float mean) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const float d = x[i + j] - mean;
      acc[j] += d * d;
    }
  double s = 0.0;
  for (; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
  for (float a : acc) s += a;
  return s;
}

// dy through the ReLU that followed (y its output), or dy itself; loaded unconditionally so
// the select vectorises.
template <bool Relu>
inline float grad_at(const float* dy, const float* y, int64_t i) {
  const float g = dy[i];
  if constexpr (Relu) return y[i] > 0.0f ? g : 0.0f;
  return g;
}

// sums of dy and of dy * (x - mean) over a row
template <bool Relu>
STRATA_SIMD_CLONES void row_grad_sums(const float* x, const float* y, const float* dy, int64_t n, float mean,
                                      double& sum_dy, double& sum_dy_xc) {
  float a[kLanes] = {}, b[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const float g = grad_at<Relu>(dy, y, i + j);
      a[j] += g;
      b[j] += g * (x[i + j] - mean);
    }
  for (; i < n; ++i) {
    const float g = grad_at<Relu>(dy, y, i);
    sum_dy += g;
    sum_dy_xc += g * (x[i] - mean);
  }
  for (int j = 0; j < kLanes; ++j) sum_dy += a[j], sum_dy_xc += b[j];
}

template <bool Relu>
STRATA_SIMD_CLONES void row_affine(const float* x, float* y, int64_t n, float scale, float shift) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] * scale + shift;
    y[i] = Relu ? (v > 0.0f ? v : 0.0f) : v;
  }
}

template <bool Relu>
STRATA_SIMD_CLONES void row_affine2(const float* dy, const float* y, const float* x, float* dx, int64_t n, float a,
                                    float b, float c) {
  for (int64_t i = 0; i < n; ++i) dx[i] = a * grad_at<Relu>(dy, y, i) + b * x[i] + c;
}

void affine(const BatchNormShape& s, const float* x, float* y, int64_t n, float scale, float shift) {
  if (s.relu) row_affine<true>(x, y, n, scale, shift);
  else row_affine<false>(x, y, n, scale, shift);
}

}  // namespace

void batch_norm_forward_train(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                              float* running_mean, float* running_var, float* y, float* save_mean,
                              float* save_invstd, int64_t c0, int64_t c1) {
  s.validate();
  if (c1 < 0) c1 = s.c;
  const double count = static_cast<double>(s.n * s.hw);
  for (int64_t c = c0; c < c1; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < s.n; ++n) sum += row_sum(x + (n * s.c + c) * s.hw, s.hw);
    const double mean = sum / count;
    double sq = 0.0;
    for (int64_t n = 0; n < s.n; ++n) sq += row_sq_dev(x + (n * s.c + c) * s.hw, s.hw, static_cast<float>(mean));
    const double var = sq / count;
    const double invstd = 1.0 / std::sqrt(var + s.eps);
    const float scale = static_cast<float>(gamma[c] * invstd);
    const float shift = static_cast<float>(beta[c] - mean * gamma[c] * invstd);
    for (int64_t n = 0; n < s.n; ++n) {
      const int64_t o = (n * s.c + c) * s.hw;
      affine(s, x + o, y + o, s.hw, scale, shift);
    }
    save_mean[c] = static_cast<float>(mean);
    save_invstd[c] = static_cast<float>(invstd);
    const double unbiased = count > 1.0 ? sq / (count - 1.0) : var;
    running_mean[c] = static_cast<float>((1.0 - s.momentum) * running_mean[c] + s.momentum * mean);
    running_var[c] = static_cast<float>((1.0 - s.momentum) * running_var[c] + s.momentum * unbiased);
  }
}

void batch_norm_forward_eval(const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, float* y, int64_t c0,
                             int64_t c1) {
  s.validate();
  if (c1 < 0) c1 = s.c;
  for (int64_t c = c0; c < c1; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + s.eps);
    const float scale = static_cast<float>(gamma[c] * invstd);
    const float shift = static_cast<float>(beta[c] - running_mean[c] * gamma[c] * invstd);
    for (int64_t n = 0; n < s.n; ++n) {
      const int64_t o = (n * s.c + c) * s.hw;
      affine(s, x + o, y + o, s.hw, scale, shift);
    }
  }
}

// dx = k (dy - sum_dy / m - xhat * sum_dy_xhat / m) with k = gamma * invstd, written as
// dx = a * dy + b * x + c so one pass over the rows makes it.
void batch_norm_backward(const BatchNormShape& s, const float* x, const float* y, const float* gamma,
                         const float* save_mean, const float* save_invstd, const float* dy, float* dx, float* dgamma,
                         float* dbeta, int64_t c0, int64_t c1) {
  s.validate();
  if (c1 < 0) c1 = s.c;
  const double count = static_cast<double>(s.n * s.hw);
  for (int64_t c = c0; c < c1; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xc = 0.0;
    for (int64_t n = 0; n < s.n; ++n) {
      const int64_t o = (n * s.c + c) * s.hw;
      if (s.relu) row_grad_sums<true>(x + o, y + o, dy + o, s.hw, static_cast<float>(mean), sum_dy, sum_dy_xc);
      else row_grad_sums<false>(x + o, nullptr, dy + o, s.hw, static_cast<float>(mean), sum_dy, sum_dy_xc);
    }
    const double sum_dy_xhat = sum_dy_xc * invstd;
    if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
    if (!dx) continue;
    const double k = gamma[c] * invstd;
    const double a = k, b = -k * sum_dy_xhat * invstd / count;
    const double cc = -k * sum_dy / count - b * mean;
    for (int64_t n = 0; n < s.n; ++n) {
      const int64_t o = (n * s.c + c) * s.hw;
      const float fa = static_cast<float>(a), fb = static_cast<float>(b), fc = static_cast<float>(cc);
      if (s.relu) row_affine2<true>(dy + o, y + o, x + o, dx + o, s.hw, fa, fb, fc);
      else row_affine2<false>(dy + o, nullptr, x + o, dx + o, s.hw, fa, fb, fc);
    }
  }
}

}  // namespace strata::nn::fast
