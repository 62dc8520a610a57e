// 2x2 max pooling, stride 2. Contract: nn::max_pool2x2_forward_reference / backward_reference
// (odd sizes drop the last row/column; ties go to the first maximum in row-major order).
// Windows do not overlap, so the backward is a gather: each input pixel takes its window's
// gradient when it is the window's (first) maximum, else 0. No atomics, exact.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

// Offset (0..3, row-major) of the first maximum of the window at x00 in a row of width w.
__device__ __forceinline__ int argmax2x2(const float* x00, int64_t w) {
  const float v[4] = {x00[0], x00[1], x00[w], x00[w + 1]};
  int best = 0;
  for (int i = 1; i < 4; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

__global__ void max_pool_forward_kernel(const float* x, float* y, int64_t planes, int64_t h, int64_t w) {
  const int64_t oh = h / 2, ow = w / 2, count = planes * oh * ow;
  for (int64_t o = first_index(); o < count; o += grid_stride()) {
    const int64_t p = o / (oh * ow), r = o % (oh * ow), oy = r / ow, ox = r % ow;
    const float* x00 = x + (p * h + 2 * oy) * w + 2 * ox;
    const int best = argmax2x2(x00, w);
    y[o] = x00[(best / 2) * w + best % 2];
  }
}

__global__ void max_pool_backward_kernel(const float* x, const float* dy, float* dx, int64_t planes, int64_t h,
                                         int64_t w) {
  const int64_t oh = h / 2, ow = w / 2, count = planes * h * w;
  for (int64_t i = first_index(); i < count; i += grid_stride()) {
    const int64_t p = i / (h * w), r = i % (h * w), iy = r / w, ix = r % w, oy = iy / 2, ox = ix / 2;
    float g = 0.0f;
    if (oy < oh && ox < ow && argmax2x2(x + (p * h + 2 * oy) * w + 2 * ox, w) == (iy % 2) * 2 + ix % 2)
      g = dy[(p * oh + oy) * ow + ox];
    dx[i] = g;
  }
}

}  // namespace

void max_pool2x2_forward(const Launch& ctx, const nn::PoolShape& s, const float* x, float* y) {
  STRATA_LAUNCH(max_pool_forward_kernel, grid_for(s.output_size()), kThreads, 0, ctx.stream, x, y, s.n * s.c, s.h, s.w);
  STRATA_CUDA_CHECK_LAUNCH();
}

void max_pool2x2_backward(const Launch& ctx, const nn::PoolShape& s, const float* x, const float* dy, float* dx) {
  STRATA_LAUNCH(max_pool_backward_kernel, grid_for(s.input_size()), kThreads, 0, ctx.stream,
                x, dy, dx, s.n * s.c, s.h, s.w);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
