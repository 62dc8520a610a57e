// Channel L2 normalisation, forward and backward. Contract: nn::l2_normalize_forward_reference /
// l2_normalize_backward_reference, step for step: sums over channels in double, the eps branch as
// there. One thread per pixel looping over the channels hw apart, so neighbouring threads read
// neighbouring pixels (coalesced).
// NOT YET RUN ON A GPU: written and compiled on a machine without one; test_backend_ops's
// cuda_l2_normalize_* cases check it against the reference where a GPU is present.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

__global__ void l2_forward_kernel(const float* x, float* y, int64_t n, int64_t c, int64_t hw, double eps) {
  for (int64_t t = first_index(); t < n * hw; t += grid_stride()) {
    const int64_t at = t / hw * c * hw + t % hw;
    double sum = 0.0;
    for (int64_t k = 0; k < c; ++k) {
      const double v = x[at + k * hw];
      sum += v * v;
    }
    const double norm = sqrt(fmax(sum, eps));
    for (int64_t k = 0; k < c; ++k) y[at + k * hw] = static_cast<float>(x[at + k * hw] / norm);
  }
}

__global__ void l2_backward_kernel(const float* x, const float* dy, float* dx, int64_t n, int64_t c, int64_t hw,
                                   double eps) {
  for (int64_t t = first_index(); t < n * hw; t += grid_stride()) {
    const int64_t at = t / hw * c * hw + t % hw;
    double sum = 0.0, dot = 0.0;
    for (int64_t k = 0; k < c; ++k) {
      const double v = x[at + k * hw];
      sum += v * v;
      dot += v * dy[at + k * hw];
    }
    // Where sum <= eps the norm is the constant sqrt(eps): dx = dy / sqrt(eps).
    const double along = sum > eps ? dot / sum : 0.0, norm = sqrt(fmax(sum, eps));
    for (int64_t k = 0; k < c; ++k)
      dx[at + k * hw] = static_cast<float>((dy[at + k * hw] - x[at + k * hw] * along) / norm);
  }
}

}  // namespace

void l2_normalize_forward(const Launch& ctx, const nn::L2NormalizeShape& s, const float* x, float* y) {
  STRATA_LAUNCH(l2_forward_kernel, grid_for(s.n * s.hw), kThreads, 0, ctx.stream, x, y, s.n, s.c, s.hw, s.eps);
  STRATA_CUDA_CHECK_LAUNCH();
}

void l2_normalize_backward(const Launch& ctx, const nn::L2NormalizeShape& s, const float* x, const float* dy,
                           float* dx) {
  STRATA_LAUNCH(l2_backward_kernel, grid_for(s.n * s.hw), kThreads, 0, ctx.stream, x, dy, dx, s.n, s.c, s.hw, s.eps);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
