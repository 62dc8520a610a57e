#pragma once
// The CUDA emulator's device side: what a .cu file needs to compile as host C++ (g++) and run on
// the CPU, one fiber per CUDA thread (scheduler.cpp). Force-included before anything else in the
// emulated kernels (-include), so the CUDA keywords are defined before any header uses them:
// without that, g++ would read __shared__ as nothing and make shared arrays per-thread stack
// variables without a word. See docs/cuda.md, "The emulator".
#define STRATA_CUDA_EMULATION 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
#define __constant__ static_assert(false, "__constant__ is not emulated");
// Shared memory is declared through STRATA_SHARED / STRATA_DYNAMIC_SHARED (kernels/launch.cuh),
// which the emulator places per block, poisoned and guarded; a bare __shared__ is refused.
#define __shared__ static_assert(false, "declare shared memory with STRATA_SHARED (kernels/launch.cuh)");

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <source_location>
#include <type_traits>

#include "kernels/emulator/bf16.h"
#include "kernels/emulator/runtime_api.h"
#include "kernels/emulator/shared_memory.h"
#include "kernels/emulator/vector_types.h"

namespace strata::emu {

using Site = std::source_location;

// The CUDA thread whose fiber is running on this OS thread, and its block and grid.
struct ThreadContext {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
extern thread_local const ThreadContext* t_context;
inline const ThreadContext& context() { return *t_context; }

void syncthreads(Site site);
void syncwarp(unsigned mask, Site site);
// The warp collectives: every lane named in mask must arrive with the same mask.
uint64_t shuffle(int op, unsigned mask, uint64_t bits, int lane_arg, int width, Site site);
unsigned vote(int op, unsigned mask, bool predicate, Site site);
unsigned active_mask();

enum ShuffleOp { shfl_idx, shfl_up, shfl_down, shfl_xor };
enum VoteOp { vote_ballot, vote_any, vote_all };

template <class T>
T shuffle_as(int op, unsigned mask, T v, int lane_arg, int width, Site site) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "__shfl*_sync moves at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);
  bits = shuffle(op, mask, bits, lane_arg, width, site);
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// A kernel launch: the grid's blocks one after another, each block's threads as fibers on this
// OS thread in a seeded random order. Errors end up in cudaGetLastError().
void launch(const char* kernel, const char* file, int line, dim3 grid, dim3 block, size_t dynamic_shared_bytes,
            cudaStream_t stream, std::function<void()> body);
void set_max_dynamic_shared(const char* kernel, int bytes);
// For tests of out-of-memory handling: the next `count` cudaMalloc calls fail as a full device's do.
void fail_next_cuda_mallocs(int count);

}  // namespace strata::emu

#define threadIdx (::strata::emu::context().thread_idx)
#define blockIdx (::strata::emu::context().block_idx)
#define blockDim (::strata::emu::context().block_dim)
#define gridDim (::strata::emu::context().grid_dim)
inline constexpr int warpSize = 32;

inline void __syncthreads(::strata::emu::Site site = ::strata::emu::Site::current()) {
  ::strata::emu::syncthreads(site);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, ::strata::emu::Site site = ::strata::emu::Site::current()) {
  ::strata::emu::syncwarp(mask, site);
}
template <class T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32, ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return ::strata::emu::shuffle_as(::strata::emu::shfl_idx, mask, v, src, width, site);
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32,
                 ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return ::strata::emu::shuffle_as(::strata::emu::shfl_up, mask, v, static_cast<int>(delta), width, site);
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32,
                   ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return ::strata::emu::shuffle_as(::strata::emu::shfl_down, mask, v, static_cast<int>(delta), width, site);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32,
                  ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return ::strata::emu::shuffle_as(::strata::emu::shfl_xor, mask, v, lane_mask, width, site);
}
inline unsigned __ballot_sync(unsigned mask, int p, ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return ::strata::emu::vote(::strata::emu::vote_ballot, mask, p != 0, site);
}
inline int __any_sync(unsigned mask, int p, ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return static_cast<int>(::strata::emu::vote(::strata::emu::vote_any, mask, p != 0, site));
}
inline int __all_sync(unsigned mask, int p, ::strata::emu::Site site = ::strata::emu::Site::current()) {
  return static_cast<int>(::strata::emu::vote(::strata::emu::vote_all, mask, p != 0, site));
}
inline unsigned __activemask() { return ::strata::emu::active_mask(); }

// Atomics through std::atomic_ref (a block's fibers share one OS thread, but the emulator does
// not rely on it); float and double add by compare-and-swap as the hardware's own do.
template <class T>
T atomicAdd(T* p, T v) {
  return std::atomic_ref<T>(*p).fetch_add(v);
}
inline float atomicAdd(float* p, float v) {
  std::atomic_ref<float> a(*p);
  float old = a.load();
  while (!a.compare_exchange_weak(old, old + v)) {
  }
  return old;
}
inline double atomicAdd(double* p, double v) {
  std::atomic_ref<double> a(*p);
  double old = a.load();
  while (!a.compare_exchange_weak(old, old + v)) {
  }
  return old;
}
template <class T>
T atomicSub(T* p, T v) {
  return std::atomic_ref<T>(*p).fetch_sub(v);
}
template <class T>
T atomicExch(T* p, T v) {
  return std::atomic_ref<T>(*p).exchange(v);
}
template <class T>
T atomicMin(T* p, T v) {
  std::atomic_ref<T> a(*p);
  T old = a.load();
  while (v < old && !a.compare_exchange_weak(old, v)) {
  }
  return old;
}
template <class T>
T atomicMax(T* p, T v) {
  std::atomic_ref<T> a(*p);
  T old = a.load();
  while (v > old && !a.compare_exchange_weak(old, v)) {
  }
  return old;
}
template <class T>
T atomicCAS(T* p, T expected, T desired) {
  std::atomic_ref<T>(*p).compare_exchange_strong(expected, desired);
  return expected;
}

// Device math. The _rn intrinsics are single IEEE operations (the emulated kernels are compiled
// with -ffp-contract=off, so nothing is fused behind their back); __expf is expf here.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float __expf(float a) { return std::exp(a); }
inline float __logf(float a) { return std::log(a); }
inline float rsqrtf(float a) { return 1.0f / std::sqrt(a); }
inline double rsqrt(double a) { return 1.0 / std::sqrt(a); }
template <class T>
T __ldg(const T* p) {
  return *p;
}
template <class A, class B>
constexpr std::common_type_t<A, B> min(A a, B b) {
  using T = std::common_type_t<A, B>;
  return static_cast<T>(b) < static_cast<T>(a) ? static_cast<T>(b) : static_cast<T>(a);
}
template <class A, class B>
constexpr std::common_type_t<A, B> max(A a, B b) {
  using T = std::common_type_t<A, B>;
  return static_cast<T>(a) < static_cast<T>(b) ? static_cast<T>(b) : static_cast<T>(a);
}
using std::isfinite;
using std::isinf;
using std::isnan;
