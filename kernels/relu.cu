// ReLU forward and backward. Contract: nn::relu_forward_reference / relu_backward_reference
// (backward masks with the forward's output; both may run in place). One pass over memory.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

__global__ void relu_forward_kernel(const float* x, float* y, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void relu_backward_kernel(const float* y, const float* dy, float* dx, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace

void relu_forward(const Launch& ctx, const float* x, float* y, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(relu_forward_kernel, grid_for(count), kThreads, 0, ctx.stream, x, y, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

void relu_backward(const Launch& ctx, const float* y, const float* dy, float* dx, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(relu_backward_kernel, grid_for(count), kThreads, 0, ctx.stream, y, dy, dx, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
