// Nearest-neighbour 2x upsampling and its backward. Contract: nn::upsample2x_forward_reference /
// upsample2x_backward_reference. The backward adds each 2x2 block in the reference's order
// (row by row, starting from 0.0f), so it matches bit for bit.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

__global__ void upsample_forward_kernel(const float* x, float* y, int64_t planes, int64_t h, int64_t w) {
  const int64_t oh = 2 * h, ow = 2 * w;
  for (int64_t o = first_index(); o < planes * oh * ow; o += grid_stride()) {
    const int64_t p = o / (oh * ow), r = o % (oh * ow), oy = r / ow, ox = r % ow;
    y[o] = x[(p * h + oy / 2) * w + ox / 2];
  }
}

__global__ void upsample_backward_kernel(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) {
  for (int64_t i = first_index(); i < planes * h * w; i += grid_stride()) {
    const int64_t p = i / (h * w), r = i % (h * w), iy = r / w, ix = r % w;
    const float* d = dy + (p * 2 * h + 2 * iy) * 2 * w + 2 * ix;
    float sum = 0.0f;
    sum += d[0];
    sum += d[1];
    sum += d[2 * w];
    sum += d[2 * w + 1];
    dx[i] = sum;
  }
}

}  // namespace

void upsample2x_forward(const Launch& ctx, const float* x, float* y, int64_t planes, int64_t h, int64_t w) {
  if (planes * h * w <= 0) return;
  STRATA_LAUNCH(upsample_forward_kernel, grid_for(4 * planes * h * w), kThreads, 0, ctx.stream, x, y, planes, h, w);
  STRATA_CUDA_CHECK_LAUNCH();
}

void upsample2x_backward(const Launch& ctx, const float* dy, float* dx, int64_t planes, int64_t h, int64_t w) {
  if (planes * h * w <= 0) return;
  STRATA_LAUNCH(upsample_backward_kernel, grid_for(planes * h * w), kThreads, 0, ctx.stream, dy, dx, planes, h, w);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
