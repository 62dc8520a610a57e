#pragma once
// Per-channel sums over NCHW-shaped data (batch norm's statistics and gradients, bias
// gradients): two sums at once, in double, deterministic. A grid of (chunks, channels) blocks
// writes one partial per block; a channel's total adds its chunks in order.
#include <algorithm>
#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/launch.cuh"

namespace strata::cuda {

// How many chunks each channel's n * hw values are cut into: enough blocks to fill the device
// a few times over, none shorter than 2048 values.
inline int channel_chunks(int64_t per_channel, int64_t channels, int sm_count) {
  const int64_t want = (4 * static_cast<int64_t>(sm_count) + channels - 1) / channels;
  return static_cast<int>(std::clamp<int64_t>(std::min(want, (per_channel + 2047) / 2048), 1, 4096));
}

// partials[c * chunks + chunk] = sum over the chunk's (img, i) of f(img, c, i), where f returns double2.
template <class F>
__global__ void channel_partials_kernel(F f, int64_t n, int64_t hw, int chunks, double2* partials) {
  const int64_t ch = blockIdx.y, total = n * hw, per = (total + chunks - 1) / chunks;
  const int64_t end = min(total, (blockIdx.x + 1) * per);
  double2 acc = make_double2(0.0, 0.0);
  int64_t j = blockIdx.x * per + threadIdx.x;
  int64_t img = j / hw, i = j - img * hw;
  for (; j < end; j += blockDim.x) {
    const double2 v = f(img, ch, i);
    acc.x += v.x;
    acc.y += v.y;
    i += blockDim.x;
    if (i >= hw) {
      img += i / hw;
      i %= hw;
    }
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[ch * chunks + blockIdx.x] = acc;
}

template <class F>
void channel_partials(const Launch& ctx, F f, int64_t n, int64_t c, int64_t hw, int chunks, double2* partials) {
  check(c <= 65535, "CUDA channel reduction: more than 65535 channels");
  STRATA_LAUNCH(channel_partials_kernel, dim3(static_cast<unsigned>(chunks), static_cast<unsigned>(c)), kThreads, 0, ctx.stream,
                f, n, hw, chunks, partials);
  STRATA_CUDA_CHECK_LAUNCH();
}

__device__ __forceinline__ double2 channel_total(const double2* partials, int64_t ch, int chunks) {
  double2 t = make_double2(0.0, 0.0);
  for (int k = 0; k < chunks; ++k) {
    t.x += partials[ch * chunks + k].x;
    t.y += partials[ch * chunks + k].y;
  }
  return t;
}

}  // namespace strata::cuda
