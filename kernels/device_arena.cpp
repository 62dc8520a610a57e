#include "kernels/device_arena.h"

#include <cuda_runtime.h>

#include "kernels/cuda_check.h"

namespace strata::cuda {

namespace {
constexpr size_t kGranule = 512;  // block sizes are multiples of this
}

DeviceArena::~DeviceArena() {
  // A destructor cannot throw; a failing cudaFree at teardown has nothing left to protect.
  for (auto& [ptr, size] : live_) (void)cudaFree(ptr);
  for (auto& [size, ptr] : cache_) (void)cudaFree(ptr);
}

void* DeviceArena::allocate(size_t bytes) {
  const size_t size = (bytes == 0 ? 1 : (bytes + kGranule - 1) / kGranule) * kGranule;
  std::lock_guard lock(mutex_);
  const auto it = cache_.lower_bound(size);
  if (it != cache_.end() && it->first <= 2 * size) {
    void* p = it->second;
    live_.emplace(p, it->first);
    cache_.erase(it);
    return p;
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation && !cache_.empty()) {
    (void)cudaGetLastError();  // clear it: the retry below decides
    free_cache();
    err = cudaMalloc(&p, size);
  }
  if (err != cudaSuccess) {
    // A failed cudaMalloc is also the thread's last error; cleared, or the next launch check
    // would report it as that kernel's failure.
    (void)cudaGetLastError();
    STRATA_CUDA_CHECK(err);
  }
  live_.emplace(p, size);
  ++allocations_;
  held_ += size;
  return p;
}

void DeviceArena::release(void* ptr) noexcept {
  if (!ptr) return;
  std::lock_guard lock(mutex_);
  const auto it = live_.find(ptr);
  if (it == live_.end()) return;
  cache_.emplace(it->second, ptr);
  live_.erase(it);
}

void DeviceArena::free_cache() {
  while (!cache_.empty()) {
    const auto it = cache_.begin();
    void* p = it->second;
    held_ -= it->first;
    cache_.erase(it);
    STRATA_CUDA_CHECK(cudaFree(p));
  }
}

int64_t DeviceArena::allocation_count() const {
  std::lock_guard lock(mutex_);
  return allocations_;
}

size_t DeviceArena::bytes_held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

}  // namespace strata::cuda
