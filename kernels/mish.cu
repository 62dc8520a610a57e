// Mish forward and backward. Contract: nn::mish_forward_reference / mish_backward_reference
// (y = x tanh(softplus(x)); backward takes the forward's input; y may be x, dx may be dy).
// Written and compiled without a GPU: NOT YET RUN ON HARDWARE (docs/cuda.md).
//
// One thread per value, float arithmetic as the CPU fast path (nn/fast/mish.cpp): with e = e^x
// and n = e (e + 2), t = n / (n + 2), y = x t, slope = t + x e / (1 + e) * 4 (n + 1) / (n + 2)^2,
// x clamped to 20 (where t and the slope round to exactly 1 in float, so y = x and dx = dy
// beyond, and nothing overflows). The clamp passes NaN, so NaN stays NaN.
//
// expf, not __expf: __expf (ex2.approx) errs by 2 + 1.16 |x| ulps, about 1.5e-6 relative at x = 20,
// which would miss the 1e-6 the cross-backend cases hold Mish to; expf is within 2 ulps over the
// whole range and handles the denormal results of very negative x. The op moves 8 (forward) or 12
// (backward) bytes a value, so it is bound by memory either way.
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

struct MishTerms {
  float x, e, n;  // x clamped to 20, e^x, e (e + 2)
};

__device__ __forceinline__ MishTerms mish_terms(float v) {
  const float x = v > 20.0f ? 20.0f : v;  // NaN stays NaN
  const float e = expf(x);
  return {x, e, e * (e + 2.0f)};
}

__global__ void mish_forward_kernel(const float* x, float* y, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) {
    const float v = x[i];
    const MishTerms t = mish_terms(v);
    y[i] = v * (t.n / (t.n + 2.0f));
  }
}

__global__ void mish_backward_kernel(const float* x, const float* dy, float* dx, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) {
    const MishTerms t = mish_terms(x[i]);
    const float d = t.n + 2.0f;
    const float slope = t.n / d + t.x * (t.e / (1.0f + t.e)) * (4.0f * (t.n + 1.0f) / (d * d));
    dx[i] = dy[i] * slope;
  }
}

}  // namespace

void mish_forward(const Launch& ctx, const float* x, float* y, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(mish_forward_kernel, grid_for(count), kThreads, 0, ctx.stream, x, y, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

void mish_backward(const Launch& ctx, const float* x, const float* dy, float* dx, int64_t count) {
  if (count <= 0) return;
  STRATA_LAUNCH(mish_backward_kernel, grid_for(count), kThreads, 0, ctx.stream, x, dy, dx, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
