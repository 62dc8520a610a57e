// Batch normalisation: training forward (batch statistics, running statistics moved by
// momentum with the unbiased variance), evaluation forward, backward, and folding into the
// convolution before it. Contract: nn::batch_norm_*_reference, with their double arithmetic:
// the statistics are two passes (mean, then the sum of squared deviations) of per-channel sums
// in double (channel_reduce.cuh), and each output is computed in double from its float input.
#include "kernels/channel_reduce.cuh"
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

struct SumX {
  const float* x;
  int64_t c, hw;
  __device__ double2 operator()(int64_t img, int64_t ch, int64_t i) const {
    return make_double2(x[(img * c + ch) * hw + i], 0.0);
  }
};

struct SumSquaredDeviation {
  const float* x;
  const double2* stats;  // [c]: (mean, invstd)
  int64_t c, hw;
  __device__ double2 operator()(int64_t img, int64_t ch, int64_t i) const {
    const double d = x[(img * c + ch) * hw + i] - stats[ch].x;
    return make_double2(d * d, 0.0);
  }
};

// The gradient at the normalisation's output: dy through the ReLU (y its output) with s.relu.
__device__ inline float grad_at(const nn::BatchNormShape& s, const float* y, const float* dy, int64_t j) {
  return s.relu && !(y[j] > 0.0f) ? 0.0f : dy[j];
}

__device__ inline float activate(const nn::BatchNormShape& s, float v) { return s.relu && !(v > 0.0f) ? 0.0f : v; }

// (sum dy, sum dy * xhat) with the saved mean and invstd.
struct SumGrad {
  nn::BatchNormShape s;
  const float *x, *y, *dy, *mean, *invstd;
  __device__ double2 operator()(int64_t img, int64_t ch, int64_t i) const {
    const int64_t j = (img * s.c + ch) * s.hw + i;
    const double g = grad_at(s, y, dy, j);
    return make_double2(g, g * (x[j] - static_cast<double>(mean[ch])) * static_cast<double>(invstd[ch]));
  }
};

__global__ void mean_kernel(const double2* partials, int chunks, nn::BatchNormShape s, double2* stats) {
  for (int64_t ch = first_index(); ch < s.c; ch += grid_stride())
    stats[ch].x = channel_total(partials, ch, chunks).x / static_cast<double>(s.n * s.hw);
}

__global__ void variance_kernel(const double2* partials, int chunks, nn::BatchNormShape s, double2* stats,
                                float* running_mean, float* running_var, float* save_mean, float* save_invstd) {
  const double count = static_cast<double>(s.n * s.hw);
  for (int64_t ch = first_index(); ch < s.c; ch += grid_stride()) {
    const double sq = channel_total(partials, ch, chunks).x, mean = stats[ch].x;
    const double var = sq / count, invstd = 1.0 / sqrt(var + s.eps);
    stats[ch].y = invstd;
    save_mean[ch] = static_cast<float>(mean);
    save_invstd[ch] = static_cast<float>(invstd);
    const double unbiased = count > 1.0 ? sq / (count - 1.0) : var;
    running_mean[ch] = static_cast<float>((1.0 - s.momentum) * running_mean[ch] + s.momentum * mean);
    running_var[ch] = static_cast<float>((1.0 - s.momentum) * running_var[ch] + s.momentum * unbiased);
  }
}

__global__ void normalize_train_kernel(nn::BatchNormShape s, const float* x, const float* gamma, const float* beta,
                                       const double2* stats, float* y) {
  for (int64_t j = first_index(); j < s.n * s.c * s.hw; j += grid_stride()) {
    const int64_t ch = j / s.hw % s.c;
    y[j] = activate(s, static_cast<float>((x[j] - stats[ch].x) * stats[ch].y * gamma[ch] + beta[ch]));
  }
}

__global__ void normalize_eval_kernel(nn::BatchNormShape s, const float* x, const float* gamma, const float* beta,
                                      const float* running_mean, const float* running_var, float* y) {
  for (int64_t j = first_index(); j < s.n * s.c * s.hw; j += grid_stride()) {
    const int64_t ch = j / s.hw % s.c;
    const double invstd = 1.0 / sqrt(static_cast<double>(running_var[ch]) + s.eps);
    y[j] = activate(s, static_cast<float>((x[j] - running_mean[ch]) * invstd * gamma[ch] + beta[ch]));
  }
}

__global__ void grad_sums_kernel(const double2* partials, int chunks, int64_t c, double2* sums, float* dgamma,
                                 float* dbeta) {
  for (int64_t ch = first_index(); ch < c; ch += grid_stride()) {
    const double2 t = channel_total(partials, ch, chunks);
    sums[ch] = t;
    if (dgamma) dgamma[ch] = static_cast<float>(t.y);
    if (dbeta) dbeta[ch] = static_cast<float>(t.x);
  }
}

__global__ void grad_input_kernel(nn::BatchNormShape s, const float* x, const float* y, const float* gamma,
                                  const float* mean, const float* invstd, const float* dy, const double2* sums,
                                  float* dx) {
  const double count = static_cast<double>(s.n * s.hw);
  for (int64_t j = first_index(); j < s.n * s.c * s.hw; j += grid_stride()) {
    const int64_t ch = j / s.hw % s.c;
    const double inv = invstd[ch], scale = gamma[ch] * inv / count;
    const double xhat = (x[j] - static_cast<double>(mean[ch])) * inv;
    dx[j] = static_cast<float>(scale * (count * grad_at(s, y, dy, j) - sums[ch].x - xhat * sums[ch].y));
  }
}

__global__ void fold_kernel(nn::BatchNormShape s, const float* w, int64_t per_channel, const float* bias, const float* gamma,
                            const float* beta, const float* running_mean, const float* running_var, float* w_out,
                            float* b_out) {
  for (int64_t j = first_index(); j < s.c * per_channel; j += grid_stride()) {
    const int64_t ch = j / per_channel;
    const double scale = gamma[ch] / sqrt(static_cast<double>(running_var[ch]) + s.eps);
    w_out[j] = static_cast<float>(w[j] * scale);
    if (j % per_channel == 0) b_out[ch] = static_cast<float>(beta[ch] + ((bias ? bias[ch] : 0.0) - running_mean[ch]) * scale);
  }
}

// Scratch for one call: per-channel partials, then per-channel (double2) results.
struct ChannelScratch {
  int chunks;
  double2* partials;
  double2* per_channel;
};

ChannelScratch channel_scratch(const Launch& ctx, const nn::BatchNormShape& s) {
  const int chunks = channel_chunks(s.n * s.hw, s.c, ctx.sm_count);
  auto* p = static_cast<double2*>(ctx.workspace->scratch(static_cast<size_t>(s.c * (chunks + 1)) * sizeof(double2)));
  return {chunks, p, p + s.c * chunks};
}

}  // namespace

void batch_norm_forward_train(const Launch& ctx, const nn::BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float* running_mean, float* running_var, float* y, float* save_mean,
                              float* save_invstd) {
  const ChannelScratch t = channel_scratch(ctx, s);
  channel_partials(ctx, SumX{x, s.c, s.hw}, s.n, s.c, s.hw, t.chunks, t.partials);
  STRATA_LAUNCH(mean_kernel, grid_for(s.c), kThreads, 0, ctx.stream, t.partials, t.chunks, s, t.per_channel);
  STRATA_CUDA_CHECK_LAUNCH();
  channel_partials(ctx, SumSquaredDeviation{x, t.per_channel, s.c, s.hw}, s.n, s.c, s.hw, t.chunks, t.partials);
  STRATA_LAUNCH(variance_kernel, grid_for(s.c), kThreads, 0, ctx.stream,
                t.partials, t.chunks, s, t.per_channel, running_mean, running_var, save_mean, save_invstd);
  STRATA_CUDA_CHECK_LAUNCH();
  STRATA_LAUNCH(normalize_train_kernel, grid_for(s.size()), kThreads, 0, ctx.stream,
                s, x, gamma, beta, t.per_channel, y);
  STRATA_CUDA_CHECK_LAUNCH();
}

void batch_norm_forward_eval(const Launch& ctx, const nn::BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float* y) {
  STRATA_LAUNCH(normalize_eval_kernel, grid_for(s.size()), kThreads, 0, ctx.stream, s, x, gamma, beta, running_mean,
                                                                          running_var, y);
  STRATA_CUDA_CHECK_LAUNCH();
}

void batch_norm_backward(const Launch& ctx, const nn::BatchNormShape& s, const float* x, const float* y,
                         const float* gamma,
                         const float* save_mean, const float* save_invstd, const float* dy, float* dx, float* dgamma,
                         float* dbeta) {
  const ChannelScratch t = channel_scratch(ctx, s);
  channel_partials(ctx, SumGrad{s, x, y, dy, save_mean, save_invstd}, s.n, s.c, s.hw, t.chunks, t.partials);
  STRATA_LAUNCH(grad_sums_kernel, grid_for(s.c), kThreads, 0, ctx.stream,
                t.partials, t.chunks, s.c, t.per_channel, dgamma, dbeta);
  STRATA_CUDA_CHECK_LAUNCH();
  if (!dx) return;
  STRATA_LAUNCH(grad_input_kernel, grid_for(s.size()), kThreads, 0, ctx.stream,
                s, x, y, gamma, save_mean, save_invstd, dy, t.per_channel, dx);
  STRATA_CUDA_CHECK_LAUNCH();
}

void batch_norm_fold(const Launch& ctx, const nn::BatchNormShape& s, const float* w, int64_t per_channel,
                     const float* bias, const float* gamma, const float* beta, const float* running_mean, const float* running_var,
                     float* w_out, float* b_out) {
  STRATA_LAUNCH(fold_kernel, grid_for(s.c * per_channel), kThreads, 0, ctx.stream,
                s, w, per_channel, bias, gamma, beta, running_mean, running_var, w_out, b_out);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
