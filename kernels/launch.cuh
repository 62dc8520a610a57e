#pragma once
// What every kernel file shares: the launch context an op gets from the backend, grid sizing
// for grid-stride loops, the 32-bit index guard of the convolution kernels, and block sums.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <climits>
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/error.h"
#include "nn/backend.h"

// Launches and shared memory go through these macros: nvcc's own syntax on the device, and on
// the host CUDA emulator (kernels/emulator/, which g++ cannot parse <<<>>> for) a launch of
// fibers and shared arrays placed per block, poisoned and behind guard pages.
#ifdef STRATA_CUDA_EMULATION
#define STRATA_LAUNCH(kernel, grid, block, shared_bytes, stream, ...)                                  \
  ::strata::emu::launch(#kernel, __FILE__, __LINE__, (grid), (block), (shared_bytes), (stream), [=] { \
    kernel(__VA_ARGS__);                                                                               \
  })
#define STRATA_SHARED_ALIGNED(align, type, name)                                                  \
  const auto name = ::strata::emu::shared_view<::std::type_identity_t<type>>(::strata::emu::static_shared( \
      [] {                                                                                        \
        static const char key = 0;                                                                \
        return &key;                                                                              \
      }(),                                                                                        \
      sizeof(::std::type_identity_t<type>), (align),                                             \
      sizeof(::std::type_identity_t<type>) / sizeof(::std::remove_all_extents_t<type>), #name, __FILE__, __LINE__))
#define STRATA_DYNAMIC_SHARED(type, name) \
  const auto name = ::strata::emu::dynamic_view<type>(::strata::emu::dynamic_shared(sizeof(type), #name, __FILE__, __LINE__))
// cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)
#define STRATA_SET_MAX_DYNAMIC_SHARED(kernel, bytes) (::strata::emu::set_max_dynamic_shared(#kernel, (bytes)), cudaSuccess)
#else
#define STRATA_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  kernel<<<(grid), (block), (shared_bytes), (stream)>>>(__VA_ARGS__)
#define STRATA_SHARED_ALIGNED(align, type, name) __shared__ __align__(align) ::std::type_identity_t<type> name
#define STRATA_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#define STRATA_SET_MAX_DYNAMIC_SHARED(kernel, bytes) \
  cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (bytes))
#endif
#define STRATA_SHARED(type, name) STRATA_SHARED_ALIGNED(16, type, name)

namespace strata::cuda {

// Grow-only device scratch owned by the backend: the block returned stays valid until the
// next call to scratch(), and asking for no more than before allocates nothing.
class Workspace {
 public:
  virtual ~Workspace() = default;
  virtual void* scratch(size_t bytes) = 0;
};

struct Launch {
  cudaStream_t stream = nullptr;
  int sm_count = 1;  // the device's multiprocessors, to size grids of reductions
  nn::ConvPrecision precision = nn::ConvPrecision::fp32;
  Workspace* workspace = nullptr;
};

inline constexpr int kThreads = 256;

// Blocks for a grid-stride loop over `count` items: one item per thread up to a grid that
// fills the device several times over.
inline unsigned grid_for(int64_t count, int threads = kThreads) {
  return static_cast<unsigned>(std::clamp<int64_t>((count + threads - 1) / threads, 1, 65536));
}

// The convolution kernels index with 32-bit integers (64-bit division is several times slower);
// a tensor past 2^31 elements is refused with the way out.
inline void check_int32(int64_t elements, const char* op) {
  if (elements <= INT32_MAX) return;
  std::string message = op;
  message += ": a tensor of ";
  message += std::to_string(elements);
  throw Error(message += " elements is beyond the CUDA kernels' 32-bit indexing; use a smaller batch or patch");
}

#if defined(__CUDACC__) || defined(STRATA_CUDA_EMULATION)
__device__ __forceinline__ int64_t first_index() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_stride() { return int64_t(blockDim.x) * gridDim.x; }

// The sum of v over the block (blockDim.x a multiple of 32), valid in thread 0. Uses one shared
// array: at most one call per kernel.
__device__ __forceinline__ double2 block_sum(double2 v) {
  STRATA_SHARED(double2[32], warp_sums);
  for (int o = 16; o > 0; o >>= 1) {
    v.x += __shfl_down_sync(0xffffffffu, v.x, o);
    v.y += __shfl_down_sync(0xffffffffu, v.y, o);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = make_double2(0.0, 0.0);
  if (warp == 0) {
    if (lane < static_cast<int>(blockDim.x >> 5)) v = warp_sums[lane];
    for (int o = 16; o > 0; o >>= 1) {
      v.x += __shfl_down_sync(0xffffffffu, v.x, o);
      v.y += __shfl_down_sync(0xffffffffu, v.y, o);
    }
  }
  return v;
}
#endif

}  // namespace strata::cuda
