// Per-pixel softmax over channels. Contract: nn::softmax_channels_reference, step for step: the
// float maximum, exp in double of the float difference, the sum in double. One thread per pixel;
// the channel loop reads hw apart, so neighbouring threads read neighbouring pixels.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

__global__ void softmax_kernel(const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
  for (int64_t t = first_index(); t < n * hw; t += grid_stride()) {
    const int64_t b = t / hw, i = t % hw;
    const float* xp = x + b * c * hw + i;
    float* yp = y + b * c * hw + i;
    float mx = xp[0];
    for (int64_t k = 1; k < c; ++k) mx = fmaxf(mx, xp[k * hw]);
    double sum = 0.0;
    for (int64_t k = 0; k < c; ++k) sum += exp(static_cast<double>(xp[k * hw] - mx));
    for (int64_t k = 0; k < c; ++k) yp[k * hw] = static_cast<float>(exp(static_cast<double>(xp[k * hw] - mx)) / sum);
  }
}

}  // namespace

void softmax_channels(const Launch& ctx, const float* x, float* y, int64_t n, int64_t c, int64_t hw) {
  if (n * c * hw <= 0) return;
  STRATA_LAUNCH(softmax_kernel, grid_for(n * hw), kThreads, 0, ctx.stream, x, y, n, c, hw);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
