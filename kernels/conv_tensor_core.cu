// The conv-like product of conv_product.cuh on tensor cores: implicit GEMM with WMMA
// (nvcuda::wmma), inputs rounded to TF32 (m16n16k8) or bf16 (m16n16k16), fp32 accumulation.
// Contract: the same products as the fp32 path (nn::conv2d_forward_reference and the other
// conv-like directions), to within the rounding of the inputs: TF32 keeps 10 mantissa bits,
// bf16 7, so results differ from fp32 by about 2^-11 and 2^-8 relative per product.
//
// A block of 4 warps computes a 64 (output channels) x 64 (pixels) tile, 32 x 32 per warp as
// 2 x 2 fragments; 32-deep slices of the weights and of the gathered image are converted while
// staged in shared memory, and the accumulators go through shared memory once more at the end
// so that the bias is added and the NCHW stores are coalesced. Single-buffered: a first version
// to check correctness and measure against cuDNN, not yet tuned (no cp.async pipeline).
#include <cuda_bf16.h>
#include <mma.h>

#include "kernels/conv_product.cuh"
#include "kernels/cuda_check.h"

namespace strata::cuda {
namespace {

namespace wmma = nvcuda::wmma;

constexpr int kTileM = 64, kTileN = 64, kTileK = 32, kWarps = 4, kTcThreads = 32 * kWarps;

struct Tf32 {
  using Stored = float;  // rounded to TF32 when loaded into a fragment
  using Fragment = wmma::precision::tf32;
  static constexpr int kStep = 8, kPad = 4;  // ldm a multiple of 4 floats
  __device__ static Stored from(float v) { return v; }
  template <class F>
  __device__ static void round(F& f) {
    for (int t = 0; t < f.num_elements; ++t) f.x[t] = wmma::__float_to_tf32(f.x[t]);
  }
};

struct Bf16 {
  using Stored = __nv_bfloat16;
  using Fragment = __nv_bfloat16;
  static constexpr int kStep = 16, kPad = 8;  // ldm a multiple of 8 halves
  __device__ static Stored from(float v) { return __float2bfloat16_rn(v); }
  template <class F>
  __device__ static void round(F&) {}
};

template <class P>
__global__ void __launch_bounds__(kTcThreads) conv_product_wmma_kernel(ConvProduct p) {
  using T = typename P::Stored;
  constexpr int lda = kTileK + P::kPad, ldb = kTileN + P::kPad, ldc = kTileN + 4;
  // WMMA wants 256-bit aligned fragment pointers; the pads keep every fragment's start aligned.
  STRATA_SHARED_ALIGNED(128, T[kTileM * lda], as);
  STRATA_SHARED_ALIGNED(128, T[kTileK * ldb], bs);
  STRATA_SHARED_ALIGNED(128, float[kTileM * ldc], cs);

  const int rows = p.m, cols = p.g.pixels(), depth = p.g.taps();
  const int m0 = blockIdx.y * kTileM, n0 = blockIdx.x * kTileN;
  const int warp = threadIdx.x / 32, wm = (warp / 2) * 32, wn = (warp % 2) * 32;

  wmma::fragment<wmma::accumulator, 16, 16, P::kStep, float> acc[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  for (int k0 = 0; k0 < depth; k0 += kTileK) {
    for (int e = threadIdx.x; e < kTileM * kTileK; e += kTcThreads) {
      const int am = e / kTileK, ak = e % kTileK;
      as[am * lda + ak] = P::from(m0 + am < rows && k0 + ak < depth ? p.w(m0 + am, k0 + ak) : 0.0f);
      const int bk = e / kTileN, bn = e % kTileN;
      bs[bk * ldb + bn] = P::from(k0 + bk < depth && n0 + bn < cols ? p.g(k0 + bk, n0 + bn) : 0.0f);
    }
    __syncthreads();
    for (int ks = 0; ks < kTileK; ks += P::kStep) {
      wmma::fragment<wmma::matrix_a, 16, 16, P::kStep, typename P::Fragment, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, P::kStep, typename P::Fragment, wmma::row_major> b[2];
      for (int i = 0; i < 2; ++i) {
        wmma::load_matrix_sync(a[i], as + (wm + 16 * i) * lda + ks, lda);
        P::round(a[i]);
      }
      for (int j = 0; j < 2; ++j) {
        wmma::load_matrix_sync(b[j], bs + ks * ldb + wn + 16 * j, ldb);
        P::round(b[j]);
      }
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }

  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(cs + (wm + 16 * i) * ldc + wn + 16 * j, acc[i][j], ldc, wmma::mem_row_major);
  __syncthreads();
  for (int e = threadIdx.x; e < kTileM * kTileN; e += kTcThreads) {
    const int m = m0 + e / kTileN, n = n0 + e % kTileN;  // consecutive threads: consecutive pixels
    if (m < rows && n < cols) p.store(m, n, cs[(e / kTileN) * ldc + e % kTileN]);
  }
}

}  // namespace

void conv_product_tensor_core(const Launch& ctx, const ConvProduct& p) {
  const dim3 grid(static_cast<unsigned>((p.g.pixels() + kTileN - 1) / kTileN), static_cast<unsigned>((p.m + kTileM - 1) / kTileM));
  if (ctx.precision == nn::ConvPrecision::tf32)
    STRATA_LAUNCH(conv_product_wmma_kernel<Tf32>, grid, kTcThreads, 0, ctx.stream, p);
  else
    STRATA_LAUNCH(conv_product_wmma_kernel<Bf16>, grid, kTcThreads, 0, ctx.stream, p);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
