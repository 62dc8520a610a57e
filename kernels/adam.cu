// One Adam / AdamW update. Contract: nn::adam_step_reference. The bias corrections are computed
// on the host exactly as the reference does (in double, then rounded to float), and every float
// operation is spelled with a round-to-nearest intrinsic so that nvcc cannot contract it into an
// FMA: the update matches the reference's float arithmetic operation for operation.
#include <cmath>

#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

struct AdamTerms {
  float lr, beta1, beta2, eps, weight_decay, step_size, sqrt_bc2;
  bool decoupled;
};

__global__ void adam_kernel(AdamTerms h, float* param, const float* grad, float* m, float* v, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) {
    float g = grad[i], p = param[i];
    if (h.decoupled)
      p = __fmul_rn(p, __fsub_rn(1.0f, __fmul_rn(h.lr, h.weight_decay)));
    else
      g = __fadd_rn(g, __fmul_rn(h.weight_decay, p));
    const float mi = __fadd_rn(__fmul_rn(h.beta1, m[i]), __fmul_rn(__fsub_rn(1.0f, h.beta1), g));
    const float vi = __fadd_rn(__fmul_rn(h.beta2, v[i]), __fmul_rn(__fmul_rn(__fsub_rn(1.0f, h.beta2), g), g));
    m[i] = mi;
    v[i] = vi;
    param[i] = __fsub_rn(p, __fdiv_rn(__fmul_rn(h.step_size, mi), __fadd_rn(__fdiv_rn(sqrtf(vi), h.sqrt_bc2), h.eps)));
  }
}

}  // namespace

void adam_step(const Launch& ctx, const nn::AdamHyper& h, float* param, const float* grad, float* m, float* v,
               int64_t count) {
  if (count <= 0) return;
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const AdamTerms t{h.lr,
                    h.beta1,
                    h.beta2,
                    h.eps,
                    h.weight_decay,
                    static_cast<float>(h.lr / bc1),
                    static_cast<float>(std::sqrt(bc2)),
                    h.decoupled};
  STRATA_LAUNCH(adam_kernel, grid_for(count), kThreads, 0, ctx.stream, t, param, grad, m, v, count);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
