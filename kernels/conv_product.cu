// The fp32 implicit GEMM behind every convolution (conv_product.cuh), the weight-gradient
// product with its split over the batch, and the bias gradient. Contract: the products that
// nn::conv2d_*_reference and nn::conv_transpose2d_*_reference compute.
//
// One tiled SGEMM kernel serves both products: a block computes a 64 x 64 tile of C = A B,
// staging 16-deep slices of A and B in shared memory (B gathered on the fly from the image:
// no im2col buffer), 256 threads each accumulating 4 x 4 outputs in registers. Plain and
// obviously right first; conv_tensor_core.cu is the fast path.
#include <algorithm>

#include "kernels/channel_reduce.cuh"
#include "kernels/conv_product.cuh"
#include "kernels/cuda_check.h"

namespace strata::cuda {
namespace {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kGemmThreads = 256;

// C[m][n] = sum over k in this block's split of A(m, k) * B(k, n), handed to store(m, n, value, split).
template <class A, class B, class Store>
__global__ void __launch_bounds__(kGemmThreads)
    sgemm_kernel(int rows, int cols, int depth, int depth_per_split, A a, B b, Store store) {
  STRATA_SHARED(float[kTileK][kTileM + 4], as);
  STRATA_SHARED(float[kTileK][kTileN], bs);
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int m0 = blockIdx.y * kTileM, n0 = blockIdx.x * kTileN;
  const int k_begin = blockIdx.z * depth_per_split, k_end = min(depth, k_begin + depth_per_split);
  float acc[4][4] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    for (int r = 0; r < kTileM * kTileK / kGemmThreads; ++r) {
      const int e = tid + kGemmThreads * r;
      const int am = e / kTileK, ak = e % kTileK;  // consecutive threads: consecutive k of A
      as[ak][am] = (m0 + am < rows && k0 + ak < k_end) ? a(m0 + am, k0 + ak) : 0.0f;
      const int bk = e / kTileN, bn = e % kTileN;  // consecutive threads: consecutive pixels of B
      bs[bk][bn] = (k0 + bk < k_end && n0 + bn < cols) ? b(k0 + bk, n0 + bn) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float av[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) av[i] = as[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) bv[j] = bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
      if (m < rows && n < cols) store(m, n, acc[i][j], blockIdx.z);
    }
}

template <class A, class B, class Store>
void sgemm(const Launch& ctx, int rows, int cols, int depth, int splits, A a, B b, Store store) {
  const int per_split = ((depth + splits - 1) / splits + kTileK - 1) / kTileK * kTileK;
  const dim3 grid(static_cast<unsigned>((cols + kTileN - 1) / kTileN), static_cast<unsigned>((rows + kTileM - 1) / kTileM),
                  static_cast<unsigned>(splits));
  STRATA_LAUNCH(sgemm_kernel, grid, kGemmThreads, 0, ctx.stream, rows, cols, depth, per_split, a, b, store);
  STRATA_CUDA_CHECK_LAUNCH();
}

// The conv-like product's output, through ConvProduct::store.
struct StoreNchw {
  ConvProduct p;
  __device__ void operator()(int row, int col, float v, int) const { p.store(row, col, v); }
};

// A(m, pixel) of the weight gradient.
struct Activations {
  WeightGradProduct p;
  __device__ float operator()(int row, int col) const { return p.activation(row, col); }
};

// B(pixel, tap) of the weight gradient: the gather with its axes swapped.
struct GatherByPixel {
  Gather g;
  __device__ float operator()(int pixel, int tap) const { return g(tap, pixel); }
};

// Split s of the product goes to partial[s][m][n] (partial == dw when there is one split).
struct StorePartial {
  float* partial;
  int cols;
  int64_t slice;
  __device__ void operator()(int row, int col, float v, int split) const {
    partial[split * slice + static_cast<int64_t>(row) * cols + col] = v;
  }
};

__global__ void sum_splits_kernel(const float* partial, int splits, int64_t count, float* out) {
  for (int64_t i = first_index(); i < count; i += grid_stride()) {
    float t = 0.0f;
    for (int s = 0; s < splits; ++s) t += partial[s * count + i];
    out[i] = t;
  }
}

struct BiasGradTerm {
  const float* dy;
  int64_t c, hw;
  __device__ double2 operator()(int64_t img, int64_t ch, int64_t i) const {
    return make_double2(dy[(img * c + ch) * hw + i], 0.0);
  }
};

__global__ void bias_grad_finish_kernel(const double2* partials, int64_t c, int chunks, float* db) {
  for (int64_t ch = first_index(); ch < c; ch += grid_stride())
    db[ch] = static_cast<float>(channel_total(partials, ch, chunks).x);
}

}  // namespace

void conv_product(const Launch& ctx, const ConvProduct& p) {
  if (ctx.precision != nn::ConvPrecision::fp32) return conv_product_tensor_core(ctx, p);
  sgemm(ctx, p.m, p.g.pixels(), p.g.taps(), 1, p.w, p.g, StoreNchw{p});
}

void weight_grad_product(const Launch& ctx, const WeightGradProduct& p) {
  const int rows = p.m, cols = p.g.taps(), depth = p.g.pixels();
  const int64_t tiles = int64_t{(rows + kTileM - 1) / kTileM} * ((cols + kTileN - 1) / kTileN);
  // Enough splits of the batch's pixels for about four blocks per multiprocessor, none
  // shorter than 512 pixels (32 slices of the tile's depth).
  const int64_t want = (4 * int64_t{ctx.sm_count} + tiles - 1) / tiles;
  const int splits = static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(want, (depth + 511) / 512), 1, 1024));
  const int64_t slice = int64_t{rows} * cols;
  float* partial = splits == 1 ? p.dw
                               : static_cast<float*>(ctx.workspace->scratch(static_cast<size_t>(splits * slice) *
                                                                             sizeof(float)));
  sgemm(ctx, rows, cols, depth, splits, Activations{p}, GatherByPixel{p.g},
        StorePartial{partial, cols, slice});
  if (splits == 1) return;
  STRATA_LAUNCH(sum_splits_kernel, grid_for(slice), kThreads, 0, ctx.stream, partial, splits, slice, p.dw);
  STRATA_CUDA_CHECK_LAUNCH();
}

void bias_grad(const Launch& ctx, const float* dy, int64_t n, int64_t c, int64_t hw, float* db) {
  const int chunks = channel_chunks(n * hw, c, ctx.sm_count);
  auto* partials = static_cast<double2*>(ctx.workspace->scratch(static_cast<size_t>(c * chunks) * sizeof(double2)));
  channel_partials(ctx, BiasGradTerm{dy, c, hw}, n, c, hw, chunks, partials);
  STRATA_LAUNCH(bias_grad_finish_kernel, grid_for(c), kThreads, 0, ctx.stream, partials, c, chunks, db);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
