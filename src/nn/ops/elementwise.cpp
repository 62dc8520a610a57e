#include "nn/ops/elementwise.h"

namespace strata::nn {

void fill_reference(float* y, float value, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = value;
}

void add_inplace_reference(float* y, const float* x, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] += x[i];
}

}  // namespace strata::nn
