// Channel concatenation of any number of inputs and its split. Contract:
// nn::concat_channels_forward_reference / concat_channels_backward_reference (y [n][sum c_i][hw];
// a null gradient is not written). One strided copy kernel per input: input j's block of
// c_j * hw values per image sits at channel offset start_j in y.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

// One thread per element of the part: image i, offset e within its c_j * hw values.
__global__ void copy_part_kernel(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t n,
                                 int64_t part) {
  for (int64_t t = first_index(); t < n * part; t += grid_stride()) {
    const int64_t i = t / part, e = t % part;
    dst[i * dst_stride + e] = src[i * src_stride + e];
  }
}

}  // namespace

void concat_channels_forward(const Launch& ctx, const nn::ConcatShape& s, const float* const* xs, float* y) {
  const int64_t out = s.total() * s.hw;
  int64_t start = 0;
  for (size_t j = 0; j < s.channels.size(); ++j) {
    const int64_t part = s.channels[j] * s.hw;
    STRATA_LAUNCH(copy_part_kernel, grid_for(s.n * part), kThreads, 0, ctx.stream,
                  xs[j], part, y + start, out, s.n, part);
    STRATA_CUDA_CHECK_LAUNCH();
    start += part;
  }
}

void concat_channels_backward(const Launch& ctx, const nn::ConcatShape& s, const float* dy, float* const* dxs) {
  const int64_t out = s.total() * s.hw;
  int64_t start = 0;
  for (size_t j = 0; j < s.channels.size(); ++j) {
    const int64_t part = s.channels[j] * s.hw;
    if (dxs[j]) {
      STRATA_LAUNCH(copy_part_kernel, grid_for(s.n * part), kThreads, 0, ctx.stream,
                    dy + start, out, dxs[j], part, s.n, part);
      STRATA_CUDA_CHECK_LAUNCH();
    }
    start += part;
  }
}

}  // namespace strata::cuda
