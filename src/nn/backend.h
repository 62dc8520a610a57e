#pragma once
// One backend interface, many backends (as in ggml): every op the network needs is a
// virtual call on device pointers. The CPU backend runs the reference or the fast CPU
// path; the CUDA backend (kernels/) runs custom kernels. tests/test_backend_ops.cpp runs
// every op on every available backend against the CPU reference.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/normalize.h"

namespace strata::nn {

enum class Device { cpu, cuda };

std::string device_name(Device d);
Device parse_device(const std::string& name);  // "cpu" | "cuda"; UsageError otherwise

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;  // e.g. "cpu" or "cuda:0 (NVIDIA H100 ...)"

  // Memory the ops read and write. On the CPU these are host pointers.
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* ptr) noexcept = 0;
  virtual void upload(void* device_dst, const void* host_src, size_t bytes) = 0;
  virtual void download(void* host_dst, const void* device_src, size_t bytes) = 0;
  virtual void synchronize() = 0;

  // dn: [batch, bands, pixels] uint16 -> out: same shape, float. See nn/normalize.h.
  virtual void normalize_bands(const uint16_t* dn, float* out, const BandNormalization& norm,
                               int64_t batch, int64_t pixels) = 0;
};

// A buffer on a backend, released when it goes out of scope.
class DeviceBuffer {
 public:
  DeviceBuffer(Backend& backend, size_t bytes) : backend_(&backend), bytes_(bytes), ptr_(backend.allocate(bytes)) {}
  ~DeviceBuffer() { if (ptr_) backend_->release(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  Backend* backend_;
  size_t bytes_;
  void* ptr_;
};

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace strata::nn
