#include "nn/ops/mish.h"

#include <cmath>

namespace strata::nn {
namespace {

// Above this, tanh(softplus(x)) = 1 - 2 e^-2x + ... is 1 - 8.5e-18 or closer (1 in float, and in
// double to within a unit of its last place): y = x, dy/dx = 1. (Float paths would overflow e^2x
// from x = 44; they clamp x to this before the exp.)
constexpr double kLinear = 20.0;

// tanh(softplus(x)) with one exp: with e = e^x, (1 + e)^2 = n + 1 where n = e (e + 2), and
// tanh(ln(1 + e)) = ((1 + e)^2 - 1) / ((1 + e)^2 + 1) = n / (n + 2). No cancellation, and for
// very negative x, e -> 0 gives t -> e (never 0 * inf).
struct Terms {
  double e, n, t;
};
Terms terms(double x) {
  const double e = std::exp(x), n = e * (e + 2.0);
  return {e, n, n / (n + 2.0)};
}

}  // namespace

float mish_reference(float x) {
  const double v = x;
  return v > kLinear ? x : static_cast<float>(v * terms(v).t);
}

void mish_forward_reference(const float* x, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = mish_reference(x[i]);
}

// dy/dx = t + x sigmoid(x) (1 - t^2), with sigmoid(x) = e / (1 + e) and
// 1 - t^2 = ((n + 2)^2 - n^2) / (n + 2)^2 = 4 (n + 1) / (n + 2)^2 (no cancellation as t -> 1).
void mish_backward_reference(const float* x, const float* dy, float* dx, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const double v = x[i], g = dy[i];
    if (v > kLinear) {
      dx[i] = dy[i];
      continue;
    }
    const Terms k = terms(v);
    const double d = k.n + 2.0;
    const double slope = k.t + v * (k.e / (1.0 + k.e)) * (4.0 * (k.n + 1.0) / (d * d));
    dx[i] = static_cast<float>(g * slope);
  }
}

}  // namespace strata::nn
