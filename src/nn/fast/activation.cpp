#include "nn/fast/activation.h"

#include "nn/fast/gemm_avx512.h"
#include "nn/fast/mish.h"
#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {

STRATA_SIMD_CLONES void relu_portable(float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

}  // namespace

void activate(Activation act, float* y, int64_t count) {
  switch (act) {
    case Activation::none: return;
    case Activation::relu: return relu_portable(y, count);
    case Activation::mish: return mish_forward(y, y, count);
  }
}

void activate_rows(Activation act, float* y, int64_t rows, int64_t cols, int64_t ld) {
  if (act == Activation::none) return;
  if (cols == ld) return activate(act, y, rows * cols);
  for (int64_t r = 0; r < rows; ++r) activate(act, y + r * ld, cols);
}

}  // namespace strata::nn::fast
