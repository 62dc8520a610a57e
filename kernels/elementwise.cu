// fill, y += x, y = a + b, and the count of NaN / Inf. Contract: nn::fill_reference,
// add_inplace_reference, add_reference (y may be a or b: each thread reads its element of both
// before writing it), count_nonfinite_reference. The count comes back to the host (this
// synchronises the stream); non-finite values are rare, so each thread adds its own count with
// one atomic only when it found any.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

__global__ void fill_kernel(float* y, float value, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) y[i] = value;
}

__global__ void add_kernel(float* y, const float* x, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) y[i] += x[i];
}

__global__ void sum_kernel(const float* a, const float* b, float* y, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) y[i] = a[i] + b[i];
}

__global__ void count_nonfinite_kernel(const float* x, int64_t count, unsigned long long* bad) {
  unsigned long long mine = 0;
  for (int64_t i = first_index(); i < count; i += grid_stride()) mine += isfinite(x[i]) ? 0 : 1;
  if (mine) atomicAdd(bad, mine);
}

}  // namespace

void fill(const Launch& ctx, float* y, float value, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(fill_kernel, grid_for(count), kThreads, 0, ctx.stream, y, value, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

void add_inplace(const Launch& ctx, float* y, const float* x, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(add_kernel, grid_for(count), kThreads, 0, ctx.stream, y, x, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

void add(const Launch& ctx, const float* a, const float* b, float* y, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(sum_kernel, grid_for(count), kThreads, 0, ctx.stream, a, b, y, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

int64_t count_nonfinite(const Launch& ctx, const float* x, int64_t count) {
  if (count <= 0) return 0;
  auto* bad = static_cast<unsigned long long*>(ctx.workspace->scratch(sizeof(unsigned long long)));
  STRATA_CUDA_CHECK(cudaMemsetAsync(bad, 0, sizeof(unsigned long long), ctx.stream));
  STRATA_LAUNCH(count_nonfinite_kernel, grid_for(count), kThreads, 0, ctx.stream, x, count, bad);
  STRATA_CUDA_CHECK_LAUNCH();
  unsigned long long host = 0;
  STRATA_CUDA_CHECK(cudaMemcpyAsync(&host, bad, sizeof host, cudaMemcpyDeviceToHost, ctx.stream));
  STRATA_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  return static_cast<int64_t>(host);
}

}  // namespace strata::cuda
