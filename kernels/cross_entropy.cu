// Softmax cross-entropy with ignore index 255, class weights and label smoothing. Contract:
// nn::cross_entropy_reference, in double like it: loss = 1/W sum_i [(1 - e) w[y_i] (-log p_i[y_i])
// + e/C sum_c w[c] (-log p_i[c])], W = sum of w[y_i] over counted pixels; W = 0 gives loss 0 and
// zero gradient. A label that is neither a class nor 255 is the reference's Error, naming the
// first such label in memory order.
//
// Pass 1, one thread per pixel: each block's (loss * W, W) partial; pass 2 adds the partials in
// order (deterministic) on one thread; pass 3 writes the gradient, divided by the W pass 2 left
// on the device. The loss and the first bad pixel then come back to the host.
#include <algorithm>

#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

constexpr int kMaxBlocks = 1024;

struct Pixel {
  double mx, sum;  // max logit and sum of exp(z - mx)
};

__device__ __forceinline__ Pixel softmax_terms(const float* z, int64_t c, int64_t hw) {
  double mx = z[0];
  for (int64_t k = 1; k < c; ++k) mx = fmax(mx, static_cast<double>(z[k * hw]));
  double sum = 0.0;
  for (int64_t k = 0; k < c; ++k) sum += exp(z[k * hw] - mx);
  return {mx, sum};
}

__device__ __forceinline__ double weight_of(const float* w, int64_t k) { return w ? static_cast<double>(w[k]) : 1.0; }

__global__ void ce_loss_kernel(nn::CrossEntropyShape s, const float* logits, const uint8_t* labels, const float* w,
                               double2* partials, unsigned long long* first_bad) {
  const double eps = s.label_smoothing;
  double2 acc = make_double2(0.0, 0.0);
  for (int64_t t = first_index(); t < s.n * s.hw; t += grid_stride()) {
    const uint8_t y = labels[t];
    if (y == nn::kIgnoreLabel) continue;
    if (y >= s.c) {
      atomicMin(first_bad, static_cast<unsigned long long>(t));
      continue;
    }
    const int64_t b = t / s.hw, i = t % s.hw;
    const float* z = logits + b * s.c * s.hw + i;
    const Pixel px = softmax_terms(z, s.c, s.hw);
    const double lse = px.mx + log(px.sum);
    double smooth = 0.0;
    for (int64_t k = 0; k < s.c; ++k) smooth += weight_of(w, k) * (lse - z[k * s.hw]);
    acc.x += (1.0 - eps) * weight_of(w, y) * (lse - z[y * s.hw]) + eps / static_cast<double>(s.c) * smooth;
    acc.y += weight_of(w, y);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

__global__ void ce_total_kernel(const double2* partials, int blocks, double2* total) {
  double2 t = make_double2(0.0, 0.0);
  for (int i = 0; i < blocks; ++i) t.x += partials[i].x, t.y += partials[i].y;
  *total = t;
}

__global__ void ce_grad_kernel(nn::CrossEntropyShape s, const float* logits, const uint8_t* labels, const float* w,
                               const double2* total, float* dlogits) {
  const double eps = s.label_smoothing, denom = total->y;
  double wsum = 0.0;
  for (int64_t k = 0; k < s.c; ++k) wsum += weight_of(w, k);
  for (int64_t t = first_index(); t < s.n * s.hw; t += grid_stride()) {
    const int64_t b = t / s.hw, i = t % s.hw;
    const uint8_t y = labels[t];
    const float* z = logits + b * s.c * s.hw + i;
    float* g = dlogits + b * s.c * s.hw + i;
    if (y >= s.c || denom == 0.0) {  // ignored (or bad: an Error follows); no counted pixel at all
      for (int64_t k = 0; k < s.c; ++k) g[k * s.hw] = 0.0f;
      continue;
    }
    const Pixel px = softmax_terms(z, s.c, s.hw);
    const double a = (1.0 - eps) * weight_of(w, y) + eps / static_cast<double>(s.c) * wsum;
    for (int64_t k = 0; k < s.c; ++k) {
      const double p = exp(z[k * s.hw] - px.mx) / px.sum;
      double d = a * p - eps / static_cast<double>(s.c) * weight_of(w, k);
      if (k == y) d -= (1.0 - eps) * weight_of(w, y);
      g[k * s.hw] = static_cast<float>(d / denom);
    }
  }
}

}  // namespace

float cross_entropy(const Launch& ctx, const nn::CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                    const float* class_weights, float* dlogits) {
  const int64_t pixels = s.n * s.hw;
  const int blocks = static_cast<int>(std::min<int64_t>(grid_for(pixels), kMaxBlocks));
  // Scratch: partials[blocks], the total, the first bad pixel.
  auto* partials = static_cast<double2*>(
      ctx.workspace->scratch((static_cast<size_t>(blocks) + 2) * sizeof(double2)));
  double2* total = partials + blocks;
  auto* first_bad = reinterpret_cast<unsigned long long*>(total + 1);
  STRATA_CUDA_CHECK(cudaMemsetAsync(first_bad, 0xFF, sizeof(unsigned long long), ctx.stream));
  STRATA_LAUNCH(ce_loss_kernel, blocks, kThreads, 0, ctx.stream, s, logits, labels, class_weights, partials, first_bad);
  STRATA_CUDA_CHECK_LAUNCH();
  STRATA_LAUNCH(ce_total_kernel, 1, 1, 0, ctx.stream, partials, blocks, total);
  STRATA_CUDA_CHECK_LAUNCH();
  if (dlogits) {
    STRATA_LAUNCH(ce_grad_kernel, grid_for(pixels), kThreads, 0, ctx.stream,
                  s, logits, labels, class_weights, total, dlogits);
    STRATA_CUDA_CHECK_LAUNCH();
  }
  struct {
    double2 total;
    unsigned long long first_bad;
  } host{};
  STRATA_CUDA_CHECK(cudaMemcpyAsync(&host.total, total, sizeof(double2), cudaMemcpyDeviceToHost, ctx.stream));
  STRATA_CUDA_CHECK(
      cudaMemcpyAsync(&host.first_bad, first_bad, sizeof(unsigned long long), cudaMemcpyDeviceToHost, ctx.stream));
  STRATA_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  if (host.first_bad != ~0ull) {
    uint8_t label = 0;
    STRATA_CUDA_CHECK(cudaMemcpyAsync(&label, labels + host.first_bad, 1, cudaMemcpyDeviceToHost, ctx.stream));
    STRATA_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    s.check_label(label);  // throws: the kernel found it outside 0..c-1 and not 255
  }
  if (host.total.y == 0.0) return 0.0f;
  return static_cast<float>(host.total.x / host.total.y);
}

}  // namespace strata::cuda
