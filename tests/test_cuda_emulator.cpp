// The CUDA emulator's own checks (kernels/emulator/): what it runs is what CUDA would run, and
// the errors a GPU would hide or turn into garbage are caught with a message naming the block
// and thread: a data race on shared memory, a divergent barrier, an out-of-bounds shared or
// device access, a shuffle mask that does not match the lanes that call it, launch limits.
#include <cuda_runtime.h>
#include <mma.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/launch.cuh"

namespace {

using strata::emu::set_wmma_scramble;

// The report of the last launch's failure ("" when it succeeded).
std::string launch_error() {
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? std::string() : std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

template <class T>
T* device_array(size_t n) {
  T* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, n * sizeof(T)), cudaSuccess);
  return p;
}

template <class T>
std::vector<T> to_host(const T* d, size_t n) {
  std::vector<T> h(n);
  EXPECT_EQ(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return h;
}

__global__ void write_ids(int* out) {
  const int block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  const int thread = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  out[block * blockDim.x * blockDim.y * blockDim.z + thread] = block * 1000 + thread;
}

TEST(CudaEmulator, EveryThreadOfEveryBlockRunsWithItsIndices) {
  const dim3 grid(3, 2, 2), block(8, 4, 2);
  const int n = 12 * 64;
  int* d = device_array<int>(n);
  STRATA_LAUNCH(write_ids, grid, block, 0, nullptr, d);
  ASSERT_EQ(launch_error(), "");
  const std::vector<int> h = to_host(d, n);
  for (int i = 0; i < n; ++i) ASSERT_EQ(h[i], i / 64 * 1000 + i % 64) << i;
  cudaFree(d);
}

// Doubles the values in shared memory, then reads them reversed: without the second barrier, a
// thread reads an element another thread writes in the same barrier interval.
__global__ void reverse(const float* in, float* out, bool synchronised) {
  STRATA_SHARED(float[64], s);
  const int t = threadIdx.x;
  s[t] = in[t];
  __syncthreads();
  s[t] = 2.0f * s[t];
  if (synchronised) __syncthreads();
  out[t] = s[63 - t];
}

TEST(CudaEmulator, ABarrierOrdersSharedMemoryUnderEveryScheduleOrder) {
  std::vector<float> h(64);
  for (int i = 0; i < 64; ++i) h[i] = static_cast<float>(i);
  float* in = device_array<float>(64);
  float* out = device_array<float>(64);
  cudaMemcpy(in, h.data(), sizeof(float) * 64, cudaMemcpyHostToDevice);
  for (int run = 0; run < 5; ++run) {  // each launch draws a new order
    STRATA_LAUNCH(reverse, 1, 64, 0, nullptr, in, out, true);
    ASSERT_EQ(launch_error(), "");
    const std::vector<float> r = to_host(out, 64);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(r[i], 2.0f * (63.0f - i));
  }
  cudaFree(in);
  cudaFree(out);
}

TEST(CudaEmulator, APlantedRaceOnSharedMemoryIsReportedWithBothThreads) {
  float* in = device_array<float>(64);
  float* out = device_array<float>(64);
  cudaMemset(in, 0, sizeof(float) * 64);
  STRATA_LAUNCH(reverse, 1, 64, 0, nullptr, in, out, false);
  const std::string e = launch_error();
  EXPECT_NE(e.find("cudaErrorLaunchFailure"), std::string::npos) << e;
  EXPECT_NE(e.find("data race on shared memory: thread ("), std::string::npos) << e;
  EXPECT_NE(e.find("`s`["), std::string::npos) << e;
  EXPECT_NE(e.find("since the last __syncthreads"), std::string::npos) << e;
  EXPECT_NE(e.find("kernel reverse"), std::string::npos) << e;
  cudaFree(in);
  cudaFree(out);
}

__global__ void read_unwritten(float* out) {
  STRATA_SHARED(float[64], s);
  if (threadIdx.x < 63) s[threadIdx.x] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x];
}

TEST(CudaEmulator, AReadOfSharedMemoryNoThreadWroteIsReported) {
  float* out = device_array<float>(64);
  STRATA_LAUNCH(read_unwritten, 1, 64, 0, nullptr, out);
  const std::string e = launch_error();
  EXPECT_NE(e.find("uninitialised shared memory: thread (63,0,0) reads `s`[63]"), std::string::npos) << e;
  cudaFree(out);
}

__global__ void barrier_in_half_the_threads() {
  if (threadIdx.x < 16) __syncthreads();
}

__global__ void barriers_on_two_branches(int* out) {
  if (threadIdx.x % 2) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

TEST(CudaEmulator, ADivergentBarrierIsReported) {
  STRATA_LAUNCH(barrier_in_half_the_threads, 2, 64, 0, nullptr);
  std::string e = launch_error();
  EXPECT_NE(e.find("divergent __syncthreads: thread ("), std::string::npos) << e;
  EXPECT_NE(e.find("exited while"), std::string::npos) << e;
  EXPECT_NE(e.find("in kernel barrier_in_half_the_threads"), std::string::npos) << e;
  int* d = device_array<int>(64);
  STRATA_LAUNCH(barriers_on_two_branches, 1, 64, 0, nullptr, d);
  e = launch_error();
  EXPECT_NE(e.find("divergent __syncthreads: thread ("), std::string::npos) << e;
  EXPECT_NE(e.find("test_cuda_emulator.cpp:"), std::string::npos) << e;
  cudaFree(d);
}

__global__ void write_past_shared(int* out) {
  STRATA_SHARED(int[64], s);
  s[threadIdx.x + 1] = 1;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x];
}

__global__ void write_past_dynamic_shared(int n) {
  STRATA_DYNAMIC_SHARED(float, s);
  if (threadIdx.x == 0) s[n] = 1.0f;
}

TEST(CudaEmulator, AnOutOfBoundsSharedWriteIsReported) {
  int* d = device_array<int>(64);
  STRATA_LAUNCH(write_past_shared, 1, 64, 0, nullptr, d);
  std::string e = launch_error();
  EXPECT_NE(e.find("out-of-bounds shared memory access: thread (63,0,0) indexes `s`[64]"), std::string::npos) << e;
  EXPECT_NE(e.find("whose extent is 64"), std::string::npos) << e;
  STRATA_LAUNCH(write_past_dynamic_shared, 1, 32, 100 * sizeof(float), nullptr, 100);
  e = launch_error();
  EXPECT_NE(e.find("out-of-bounds shared memory access"), std::string::npos) << e;
  EXPECT_NE(e.find("`s`[100]"), std::string::npos) << e;
  EXPECT_NE(e.find("whose extent is 100"), std::string::npos) << e;
  STRATA_LAUNCH(write_past_dynamic_shared, 1, 32, 100 * sizeof(float), nullptr, 99);
  EXPECT_EQ(launch_error(), "") << "the last element is in bounds";
  cudaFree(d);
}

__global__ void write_past_device_memory(float* p, int n) {
  if (threadIdx.x == 5) p[n] = 1.0f;
}

TEST(CudaEmulatorDeathTest, AnOutOfBoundsDeviceWriteEndsTheProgramWithTheThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        float* p = nullptr;
        cudaMalloc(&p, 256 * sizeof(float));
        STRATA_LAUNCH(write_past_device_memory, 1, 32, 0, nullptr, p, 256);
      },
      "out-of-bounds access 0 bytes past the end of a device allocation of 1024 bytes\n.*block \\(0,0,0\\), thread "
      "\\(5,0,0\\)");
}

TEST(CudaEmulator, AWriteIntoTheSlackPastAnAllocationIsReportedByCudaFree) {
  float* p = device_array<float>(10);  // 40 bytes: the guard page starts 24 bytes later
  STRATA_LAUNCH(write_past_device_memory, 1, 32, 0, nullptr, p, 10);
  ASSERT_EQ(launch_error(), "");
  EXPECT_EQ(cudaFree(p), cudaErrorIllegalAddress);
  const std::string e = cudaGetErrorString(cudaErrorIllegalAddress);
  EXPECT_NE(e.find("memory past the end of a device allocation of 40 bytes was overwritten"), std::string::npos) << e;
  cudaGetLastError();
}

__global__ void warp_sum(const float* in, float* out, unsigned mask) {
  float v = in[threadIdx.x];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(mask, v, o);
  if (threadIdx.x % 32 == 0) out[threadIdx.x / 32] = v;
}

__global__ void half_warp_exits(float* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, 1.0f, 0);
}

__global__ void masks_disagree(float* out) {
  if (threadIdx.x < 16) {
    __syncwarp(0x0000ffffu);
  } else {
    __syncwarp(0xffffffffu);
  }
  out[threadIdx.x] = 0.0f;
}

TEST(CudaEmulator, ShufflesAddUpAWarp) {
  std::vector<float> h(64);
  for (int i = 0; i < 64; ++i) h[i] = static_cast<float>(i);
  float* in = device_array<float>(64);
  float* out = device_array<float>(2);
  cudaMemcpy(in, h.data(), sizeof(float) * 64, cudaMemcpyHostToDevice);
  STRATA_LAUNCH(warp_sum, 1, 64, 0, nullptr, in, out, 0xffffffffu);
  ASSERT_EQ(launch_error(), "");
  const std::vector<float> r = to_host(out, 2);
  EXPECT_EQ(r[0], 496.0f);
  EXPECT_EQ(r[1], 496.0f + 32 * 32);
  cudaFree(in);
  cudaFree(out);
}

TEST(CudaEmulator, ABadShuffleMaskIsReported) {
  float* in = device_array<float>(64);
  float* out = device_array<float>(64);
  cudaMemset(in, 0, sizeof(float) * 64);
  STRATA_LAUNCH(warp_sum, 1, 64, 0, nullptr, in, out, 0x0000ffffu);  // lanes 16-31 call it too
  std::string e = launch_error();
  EXPECT_NE(e.find("__shfl_down_sync at test_cuda_emulator.cpp:"), std::string::npos) << e;
  EXPECT_NE(e.find("mask 0x0000ffff does not include the calling lane"), std::string::npos) << e;
  STRATA_LAUNCH(warp_sum, 1, 48, 0, nullptr, in, out, 0xffffffffu);  // the second warp has 16 lanes
  e = launch_error();
  EXPECT_NE(e.find("names lanes that do not exist"), std::string::npos) << e;
  STRATA_LAUNCH(half_warp_exits, 1, 32, 0, nullptr, out);
  e = launch_error();
  EXPECT_TRUE(e.find("exited while lanes") != std::string::npos || e.find("names lanes that have exited") != std::string::npos)
      << e;
  STRATA_LAUNCH(masks_disagree, 1, 32, 0, nullptr, out);
  e = launch_error();
  EXPECT_NE(e.find("the masks of one warp's lanes disagree"), std::string::npos) << e;
  cudaFree(in);
  cudaFree(out);
}

__global__ void votes(unsigned* out) {
  const int lane = threadIdx.x;
  const unsigned ballot = __ballot_sync(0xffffffffu, lane % 2 == 0);
  const int any = __any_sync(0xffffffffu, lane == 7), all = __all_sync(0xffffffffu, lane < 31);
  if (lane == 0) out[0] = ballot, out[1] = static_cast<unsigned>(any), out[2] = static_cast<unsigned>(all);
}

TEST(CudaEmulator, BallotAnyAndAllSeeEveryLane) {
  unsigned* d = device_array<unsigned>(3);
  STRATA_LAUNCH(votes, 1, 32, 0, nullptr, d);
  ASSERT_EQ(launch_error(), "");
  const std::vector<unsigned> r = to_host(d, 3);
  EXPECT_EQ(r[0], 0x55555555u);
  EXPECT_EQ(r[1], 1u);
  EXPECT_EQ(r[2], 0u);
  cudaFree(d);
}

__global__ void atomics(float* f, double* d, unsigned long long* u, int* lowest) {
  atomicAdd(f, 0.5f);
  atomicAdd(d, 0.25);
  atomicAdd(u, 1ull);
  atomicMin(lowest, static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x) - 7);
}

TEST(CudaEmulator, AtomicsSeeEveryThreadOfTheGrid) {
  float* f = device_array<float>(1);
  double* d = device_array<double>(1);
  unsigned long long* u = device_array<unsigned long long>(1);
  int* lowest = device_array<int>(1);
  cudaMemset(f, 0, sizeof *f);
  cudaMemset(d, 0, sizeof *d);
  cudaMemset(u, 0, sizeof *u);
  cudaMemset(lowest, 0x7f, sizeof *lowest);
  STRATA_LAUNCH(atomics, 4, 96, 0, nullptr, f, d, u, lowest);
  ASSERT_EQ(launch_error(), "");
  EXPECT_EQ(to_host(f, 1)[0], 192.0f);
  EXPECT_EQ(to_host(d, 1)[0], 96.0);
  EXPECT_EQ(to_host(u, 1)[0], 384u);
  EXPECT_EQ(to_host(lowest, 1)[0], -7);
  cudaFree(f);
  cudaFree(d);
  cudaFree(u);
  cudaFree(lowest);
}

__global__ void big_static_shared(float* out) {
  STRATA_SHARED(float[6144], a);  // 24 KiB
  STRATA_SHARED(float[6400], b);  // 25 KiB: 49 KiB in all
  a[threadIdx.x] = 1.0f;
  b[threadIdx.x] = 2.0f;
  out[threadIdx.x] = 0.0f;
}

__global__ void uses_dynamic_shared(float* out) {
  STRATA_DYNAMIC_SHARED(float, s);
  s[threadIdx.x] = static_cast<float>(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x];
}

TEST(CudaEmulator, LaunchLimitsAreChecked) {
  float* out = device_array<float>(1024);
  STRATA_LAUNCH(uses_dynamic_shared, 1, 1025, 4 * 1025, nullptr, out);
  EXPECT_NE(launch_error().find("cudaErrorInvalidConfiguration"), std::string::npos);
  STRATA_LAUNCH(uses_dynamic_shared, dim3(1, 65536), 32, 128, nullptr, out);
  EXPECT_NE(launch_error().find("beyond CUDA's limits"), std::string::npos);
  STRATA_LAUNCH(big_static_shared, 1, 32, 0, nullptr, out);
  std::string e = launch_error();
  EXPECT_NE(e.find("exceed the limit of 49152 bytes per block"), std::string::npos) << e;
  STRATA_LAUNCH(uses_dynamic_shared, 1, 32, 64 * 1024, nullptr, out);
  e = launch_error();
  EXPECT_NE(e.find("65536 bytes of dynamic shared memory exceed the limit of 49152"), std::string::npos) << e;
  ASSERT_EQ(STRATA_SET_MAX_DYNAMIC_SHARED(uses_dynamic_shared, 64 * 1024), cudaSuccess);
  STRATA_LAUNCH(uses_dynamic_shared, 1, 32, 64 * 1024, nullptr, out);
  EXPECT_EQ(launch_error(), "");
  EXPECT_EQ(to_host(out, 32)[31], 0.0f);
  cudaFree(out);
}

TEST(CudaEmulator, FreshDeviceMemoryIsNaNAndCopiesStayInsideAllocations) {
  float* d = device_array<float>(100);
  for (float v : to_host(d, 100)) ASSERT_TRUE(std::isnan(v));
  std::vector<float> h(101);
  EXPECT_EQ(cudaMemcpy(d, h.data(), 101 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_NE(std::string(cudaGetErrorString(cudaErrorInvalidValue)).find("is outside a device allocation of 400 bytes"),
            std::string::npos);
  EXPECT_EQ(cudaMemcpy(h.data(), h.data() + 1, 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_EQ(cudaFree(d), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(h.data(), d, 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue) << "used after cudaFree";
  cudaGetLastError();
}

namespace wmma = nvcuda::wmma;

template <class T, int K>
__global__ void one_mma(const T* a, const T* b, float* c) {
  using Input = std::conditional_t<K == 8, wmma::precision::tf32, __nv_bfloat16>;
  wmma::fragment<wmma::matrix_a, 16, 16, K, Input, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, K, Input, wmma::row_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, K, float> acc;
  wmma::fill_fragment(acc, 0.5f);
  wmma::load_matrix_sync(fa, a, K);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::mma_sync(acc, fa, fb, acc);
  wmma::store_matrix_sync(c, acc, 16, wmma::mem_row_major);
}

// One m16n16kK product against double arithmetic on the inputs as the tensor core reads them.
template <class T, int K>
double mma_error(bool scramble, bool round_inputs) {
  set_wmma_scramble(scramble);
  std::vector<T> a(16 * K), b(K * 16);
  std::vector<double> ra(a.size()), rb(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const float v = std::sin(static_cast<float>(i) * 0.7f) * 1.37f;
    if constexpr (K == 8) {
      a[i] = round_inputs ? wmma::__float_to_tf32(v) : v;
      uint32_t bits;
      std::memcpy(&bits, &a[i], 4);
      bits &= 0xffffe000u;  // what the MMA reads of an unrounded input
      float t;
      std::memcpy(&t, &bits, 4);
      ra[i] = t;
    } else {
      a[i] = __float2bfloat16_rn(v);
      ra[i] = static_cast<float>(a[i]);
    }
  }
  for (size_t i = 0; i < b.size(); ++i) {
    const float v = std::cos(static_cast<float>(i) * 0.3f) - 0.2f;
    if constexpr (K == 8) {
      b[i] = wmma::__float_to_tf32(v);
      rb[i] = b[i];
    } else {
      b[i] = __float2bfloat16_rn(v);
      rb[i] = static_cast<float>(b[i]);
    }
  }
  T* da = device_array<T>(a.size());
  T* db = device_array<T>(b.size());
  float* dc = device_array<float>(256);
  cudaMemcpy(da, a.data(), a.size() * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(db, b.data(), b.size() * sizeof(T), cudaMemcpyHostToDevice);
  STRATA_LAUNCH((one_mma<T, K>), 1, 32, 0, nullptr, da, db, dc);
  EXPECT_EQ(launch_error(), "");
  const std::vector<float> c = to_host(dc, 256);
  double worst = 0.0;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      double r = 0.5;
      for (int k = 0; k < K; ++k) r += ra[i * K + k] * rb[k * 16 + j];
      worst = std::max(worst, std::abs(c[i * 16 + j] - r) / std::max(1.0, std::abs(r)));
    }
  cudaFree(da);
  cudaFree(db);
  cudaFree(dc);
  set_wmma_scramble(false);
  return worst;
}

TEST(CudaEmulator, WmmaProductsAreTheRoundedInputsProductsInEveryFragmentLayout) {
  for (bool scramble : {false, true}) {
    EXPECT_LT((mma_error<float, 8>(scramble, true)), 1e-6) << "tf32, scramble " << scramble;
    EXPECT_LT((mma_error<float, 8>(scramble, false)), 1e-6) << "tf32 truncated by the MMA, scramble " << scramble;
    EXPECT_LT((mma_error<__nv_bfloat16, 16>(scramble, true)), 1e-6) << "bf16, scramble " << scramble;
  }
}

TEST(CudaEmulator, Tf32AndBf16RoundAsTheDeviceDoes) {
  // tf32: to nearest, ties away from zero (1 + 2^-11 is a tie: up to 1 + 2^-10)
  EXPECT_EQ(wmma::__float_to_tf32(1.0f + std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -10));
  EXPECT_EQ(wmma::__float_to_tf32(-(1.0f + std::ldexp(1.0f, -11))), -(1.0f + std::ldexp(1.0f, -10)));
  // bf16: to nearest, ties to even (1 + 2^-8 is a tie between 1 and 1 + 2^-7: down to even)
  EXPECT_EQ(static_cast<float>(__float2bfloat16_rn(1.0f + std::ldexp(1.0f, -8))), 1.0f);
  EXPECT_EQ(static_cast<float>(__float2bfloat16_rn(1.0f + 3 * std::ldexp(1.0f, -8))), 1.0f + std::ldexp(1.0f, -6));
  EXPECT_TRUE(std::isnan(static_cast<float>(__float2bfloat16_rn(std::nanf("")))));
}

__global__ void record_order(int* counter, int* order) { order[threadIdx.x] = atomicAdd(counter, 1); }

TEST(CudaEmulator, ThreadsRunInASeededRandomOrder) {
  int* counter = device_array<int>(1);
  int* order = device_array<int>(64);
  std::vector<std::vector<int>> seen;
  for (int run = 0; run < 2; ++run) {
    cudaMemset(counter, 0, sizeof(int));
    STRATA_LAUNCH(record_order, 1, 64, 0, nullptr, counter, order);
    ASSERT_EQ(launch_error(), "");
    seen.push_back(to_host(order, 64));
  }
  std::vector<int> in_order(64);
  for (int i = 0; i < 64; ++i) in_order[i] = i;
  EXPECT_NE(seen[0], in_order);
  EXPECT_NE(seen[0], seen[1]);
  cudaFree(counter);
  cudaFree(order);
}

}  // namespace
