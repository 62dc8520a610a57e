#include "nn/ops/elementwise.h"

#include <cmath>

namespace strata::nn {

void fill_reference(float* y, float value, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = value;
}

void add_inplace_reference(float* y, const float* x, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] += x[i];
}

void add_reference(const float* a, const float* b, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
}

int64_t count_nonfinite_reference(const float* x, int64_t count) {
  int64_t bad = 0;
  for (int64_t i = 0; i < count; ++i) bad += std::isfinite(x[i]) ? 0 : 1;
  return bad;
}

}  // namespace strata::nn
