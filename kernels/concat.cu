// Channel concatenation and its split. Contract: nn::concat_channels_forward_reference /
// concat_channels_backward_reference (y [n][ca + cb][hw] = [a, b]; either gradient may be null).
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

// One thread per element of y / dy: image i, offset j within its ca*hw + cb*hw values.
__global__ void concat_forward_kernel(const float* a, const float* b, float* y, int64_t n, int64_t sa, int64_t sb) {
  const int64_t s = sa + sb;
  for (int64_t e = first_index(); e < n * s; e += grid_stride()) {
    const int64_t i = e / s, j = e % s;
    y[e] = j < sa ? a[i * sa + j] : b[i * sb + (j - sa)];
  }
}

__global__ void concat_backward_kernel(const float* dy, float* da, float* db, int64_t n, int64_t sa, int64_t sb) {
  const int64_t s = sa + sb;
  for (int64_t e = first_index(); e < n * s; e += grid_stride()) {
    const int64_t i = e / s, j = e % s;
    if (j < sa) {
      if (da) da[i * sa + j] = dy[e];
    } else if (db) {
      db[i * sb + (j - sa)] = dy[e];
    }
  }
}

}  // namespace

void concat_channels_forward(const Launch& ctx, const float* a, const float* b, float* y, int64_t n, int64_t ca,
                             int64_t cb, int64_t hw) {
  const int64_t count = n * (ca + cb) * hw;
  if (count <= 0) return;
  concat_forward_kernel<<<grid_for(count), kThreads, 0, ctx.stream>>>(a, b, y, n, ca * hw, cb * hw);
  STRATA_CUDA_CHECK_LAUNCH();
}

void concat_channels_backward(const Launch& ctx, const float* dy, float* da, float* db, int64_t n, int64_t ca,
                              int64_t cb, int64_t hw) {
  const int64_t count = n * (ca + cb) * hw;
  if (count <= 0 || (!da && !db)) return;
  concat_backward_kernel<<<grid_for(count), kThreads, 0, ctx.stream>>>(dy, da, db, n, ca * hw, cb * hw);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
