// Depthwise convolution, forward and backward. Contract: nn::depthwise_conv2d_forward_reference /
// depthwise_conv2d_backward_reference (stride 1, same padding, k odd, bias optional; backward
// overwrites dx, dw, db, any may be null). Written and compiled without a GPU: NOT YET RUN ON
// HARDWARE (docs/cuda.md); tests/test_backend_ops.cpp's cuda_depthwise_* cases check it there.
//
// Forward: one thread per output, float FMAs over the k x k window (taps outside the image are
// skipped). Blocks are (pixels of a plane) x (planes): a block's plane is one channel, whose
// filter it stages in shared memory. dx is the same kernel over dy with the filter rotated by 180
// degrees (tap j read as k*k - 1 - j), no bias. dw and db are per-channel sums over the batch's
// pixels, in double and deterministic as channel_reduce.cuh's: a grid of (chunks, channels, tap
// pairs) blocks, each thread summing two taps (tap k*k is db), a partial per block, then each
// (channel, tap) adds its chunks in order.
#include "kernels/channel_reduce.cuh"
#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

// Shared memory for one filter; nn::DepthwiseConv2dShape allows any odd k, this kernel k <= 109.
constexpr int64_t kMaxFilterBytes = 48 * 1024;

__global__ void depthwise_kernel(const float* x, const float* w, const float* b, float* y, int planes, int c, int h,
                                 int wd, int k, bool flip) {
  STRATA_DYNAMIC_SHARED(float, filter);
  const int kk = k * k, p = k / 2, hw = h * wd;
  for (int q = blockIdx.y; q < planes; q += gridDim.y) {
    const int ch = q % c;
    __syncthreads();  // the previous plane's filter is no longer read
    for (int j = threadIdx.x; j < kk; j += blockDim.x) filter[j] = w[ch * kk + (flip ? kk - 1 - j : j)];
    __syncthreads();
    const float bias = b ? b[ch] : 0.0f;
    const float* xp = x + static_cast<int64_t>(q) * hw;
    float* yp = y + static_cast<int64_t>(q) * hw;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < hw; i += gridDim.x * blockDim.x) {
      const int oy = i / wd, ox = i - oy * wd;
      float acc = bias;
      for (int ky = 0; ky < k; ++ky) {
        const int iy = oy - p + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < k; ++kx) {
          const int ix = ox - p + kx;
          if (ix >= 0 && ix < wd) acc = fmaf(filter[ky * k + kx], xp[iy * wd + ix], acc);
        }
      }
      yp[i] = acc;
    }
  }
}

// partials[(pair * c + ch) * chunks + chunk] = the chunk's sums of taps first + 2 pair and
// first + 2 pair + 1, where tap t < k*k is dy * x shifted by (t / k, t % k), tap k*k is dy (db)
// and taps past `last` are 0. As channel_partials_kernel, with blockIdx.z the tap pair.
__global__ void dw_partials_kernel(const float* x, const float* dy, int n, int c, int h, int wd, int k, int first,
                                   int last, int chunks, double2* partials) {
  const int ch = blockIdx.y, pair = blockIdx.z, hw = h * wd, kk = k * k, p = k / 2;
  const int64_t total = static_cast<int64_t>(n) * hw, per = (total + chunks - 1) / chunks;
  const int64_t end = min(total, (blockIdx.x + 1) * per);
  int taps[2], dys[2], dxs[2];
  for (int s = 0; s < 2; ++s) {
    taps[s] = first + 2 * pair + s;
    dys[s] = taps[s] < kk ? taps[s] / k - p : 0;
    dxs[s] = taps[s] < kk ? taps[s] % k - p : 0;
  }
  double2 acc = make_double2(0.0, 0.0);
  int64_t j = blockIdx.x * per + threadIdx.x;
  int64_t img = j / hw, i = j - img * hw;  // i in 64 bits: i + blockDim.x may pass 2^31 - 1
  for (; j < end; j += blockDim.x) {
    const int oy = static_cast<int>(i) / wd, ox = static_cast<int>(i) - oy * wd;
    const int64_t plane = (img * c + ch) * hw;
    const double g = dy[plane + i];
    double v[2];
    for (int s = 0; s < 2; ++s) {
      const int iy = oy + dys[s], ix = ox + dxs[s];
      v[s] = taps[s] > last                                  ? 0.0
             : taps[s] == kk                                 ? g
             : iy >= 0 && iy < h && ix >= 0 && ix < wd ? g * x[plane + iy * wd + ix]
                                                             : 0.0;
    }
    acc.x += v[0];
    acc.y += v[1];
    i += blockDim.x;  // the next (img, i) without a 64-bit division
    if (i >= hw) {
      img += i / hw;
      i %= hw;
    }
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[(static_cast<int64_t>(pair) * c + ch) * chunks + blockIdx.x] = acc;
}

// One thread per (channel, tap in [first, last]): its chunks added in order.
__global__ void dw_total_kernel(const double2* partials, int c, int k, int first, int last, int chunks, float* dw,
                                float* db) {
  const int taps = last - first + 1, kk = k * k;
  for (int64_t t = first_index(); t < static_cast<int64_t>(c) * taps; t += grid_stride()) {
    const int ch = static_cast<int>(t / taps), tap = first + static_cast<int>(t % taps), rel = tap - first;
    const double2* mine = partials + (static_cast<int64_t>(rel / 2) * c + ch) * chunks;
    double sum = 0.0;
    for (int q = 0; q < chunks; ++q) sum += rel % 2 ? mine[q].y : mine[q].x;
    if (tap == kk) db[ch] = static_cast<float>(sum);
    else dw[static_cast<int64_t>(ch) * kk + tap] = static_cast<float>(sum);
  }
}

void launch_depthwise(const Launch& ctx, const nn::DepthwiseConv2dShape& s, const float* x, const float* w,
                      const float* b, float* y, bool flip) {
  const int64_t planes = s.n * s.c, hw = s.h * s.w;
  // Up to 1024 blocks over a plane's pixels (each thread loops over the rest), up to 65535 over the
  // planes (each block loops over the rest).
  const dim3 grid(std::min(grid_for(hw), 1024u), static_cast<unsigned>(std::min<int64_t>(planes, 65535)));
  const auto shared = static_cast<size_t>(s.k * s.k) * sizeof(float);
  STRATA_LAUNCH(depthwise_kernel, grid, kThreads, shared, ctx.stream,
                x, w, b, y, static_cast<int>(planes), static_cast<int>(s.c), static_cast<int>(s.h),
                static_cast<int>(s.w), static_cast<int>(s.k), flip);
  STRATA_CUDA_CHECK_LAUNCH();
}

void check_sizes(const nn::DepthwiseConv2dShape& s, const char* op) {
  check_int32(s.size(), op);
  if (s.k * s.k * static_cast<int64_t>(sizeof(float)) > kMaxFilterBytes)
    throw Error(std::string(op) + ": kernel size " + std::to_string(s.k) +
                " is beyond the CUDA kernel's filter in shared memory (k <= 109)");
}

}  // namespace

void depthwise_conv2d_forward(const Launch& ctx, const nn::DepthwiseConv2dShape& s, const float* x, const float* w,
                              const float* b, float* y) {
  check_sizes(s, "depthwise_conv2d_forward");
  launch_depthwise(ctx, s, x, w, b, y, false);
}

void depthwise_conv2d_backward(const Launch& ctx, const nn::DepthwiseConv2dShape& s, const float* x, const float* w,
                               const float* dy, float* dx, float* dw, float* db) {
  check_sizes(s, "depthwise_conv2d_backward");
  if (dx) launch_depthwise(ctx, s, dy, w, nullptr, dx, true);
  if (!dw && !db) return;
  const int kk = static_cast<int>(s.k * s.k);
  const int first = dw ? 0 : kk, last = db ? kk : kk - 1;  // taps wanted: dw's k*k, then db
  const int pairs = (last - first + 2) / 2;
  check(s.c <= 65535, "depthwise_conv2d_backward: more than 65535 channels for the CUDA reduction");
  const int chunks = channel_chunks(s.n * s.h * s.w, s.c * pairs, ctx.sm_count);
  auto* partials = static_cast<double2*>(
      ctx.workspace->scratch(static_cast<size_t>(pairs) * static_cast<size_t>(s.c) * chunks * sizeof(double2)));
  const dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(s.c), static_cast<unsigned>(pairs));
  STRATA_LAUNCH(dw_partials_kernel, grid, kThreads, 0, ctx.stream, x, dy, static_cast<int>(s.n), static_cast<int>(s.c),
                                                       static_cast<int>(s.h), static_cast<int>(s.w),
                                                       static_cast<int>(s.k), first, last, chunks, partials);
  STRATA_CUDA_CHECK_LAUNCH();
  const int64_t outputs = s.c * (last - first + 1);
  STRATA_LAUNCH(dw_total_kernel, grid_for(outputs), kThreads, 0, ctx.stream, partials, static_cast<int>(s.c),
                                                                  static_cast<int>(s.k), first, last, chunks, dw, db);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
