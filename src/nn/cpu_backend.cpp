#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "nn/backend.h"

namespace strata::nn {
namespace {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::cpu; }
  std::string name() const override { return "cpu"; }

  void* allocate(size_t bytes) override {
    // 64-byte alignment for AVX-512 loads; round up as aligned_alloc requires.
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0));
    if (!p) throw std::bad_alloc();
    return p;
  }
  void release(void* ptr) noexcept override { std::free(ptr); }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void synchronize() override {}

  void normalize_bands(const uint16_t* dn, float* out, const BandNormalization& norm, int64_t batch,
                       int64_t pixels) override {
    norm.validate();
    normalize_bands_reference(dn, out, norm, batch, pixels);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

std::string device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  throw UsageError("unknown device '" + name + "' (expected cpu or cuda)");
}

}  // namespace strata::nn
