#pragma once
// The CUDA backend's device memory: a caching allocator. A released block goes back to a free
// list, not to cudaFree, and a later request of a size it fits (at most twice the request)
// takes it again. The network's buffers are grow-only and the same every step, so after the
// first step of a shape every allocate() is served from the cache and a training step makes no
// cudaMalloc (which would synchronise the device and cost ~100 us). allocation_count() counts
// the cudaMallocs, which is what Backend::allocation_count() reports.
//
// All work of a backend runs on its one stream, so a block released while kernels that use it
// are still queued is only handed to work queued after them: stream order keeps it safe.
// When cudaMalloc runs out of memory, the cache is given back (cudaFree, which synchronises)
// and the request tried once more.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

namespace strata::cuda {

class DeviceArena {
 public:
  DeviceArena() = default;
  ~DeviceArena();
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;

  void* allocate(size_t bytes);
  void release(void* ptr) noexcept;  // null and unknown pointers are ignored
  int64_t allocation_count() const;
  size_t bytes_held() const;  // in use and cached

 private:
  void free_cache();
  mutable std::mutex mutex_;
  std::unordered_map<void*, size_t> live_;  // pointer -> block size
  std::multimap<size_t, void*> cache_;      // block size -> free block
  int64_t allocations_ = 0;
  size_t held_ = 0;
};

}  // namespace strata::cuda
