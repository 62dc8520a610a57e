#include "nn/backend_registry.h"

#include <string>

#include "core/error.h"

#ifdef STRATA_HAVE_CUDA
#include "kernels/cuda_backend.h"
#endif

namespace strata::nn {

std::vector<DeviceInfo> available_devices() {
  std::vector<DeviceInfo> out{{Device::cpu, 0, "cpu"}};
#ifdef STRATA_HAVE_CUDA
  for (const auto& d : cuda::list_devices()) out.push_back({Device::cuda, d.index, d.description});
#endif
  return out;
}

std::unique_ptr<Backend> make_backend(Device device, int index, ConvPrecision precision) {
  if (device == Device::cpu) {
    if (precision != ConvPrecision::fp32) {
      std::string message = "precision ";
      message += precision_name(precision);
      throw UsageError(message += ": the CPU backend computes in fp32 only");
    }
    return make_cpu_backend();
  }
#ifdef STRATA_HAVE_CUDA
  return cuda::make_cuda_backend(index, precision);
#else
  (void)index, (void)precision;
  throw Error("--device cuda: this strata was built without the CUDA backend (configure with -DSTRATA_CUDA=ON where nvcc is installed)");
#endif
}

void check_device_precision(const std::string& device, const std::string& precision) {
  const Device d = parse_device(device);
  const ConvPrecision p = parse_precision(precision);
  if (d == Device::cpu && p != ConvPrecision::fp32)
    throw UsageError("--precision " + precision + " needs --device cuda (the CPU computes in fp32 only)");
}

std::string cuda_device_problem() {
#ifdef STRATA_HAVE_CUDA
  return cuda::device_problem();
#else
  return "this strata was built without the CUDA backend";
#endif
}

std::string cuda_version_string() {
#ifdef STRATA_HAVE_CUDA
  return cuda::runtime_version_string();
#else
  return "not built";
#endif
}

std::string cudnn_version_string() {
#ifdef STRATA_HAVE_CUDA
  return cuda::cudnn_version_string();
#else
  return "not built";
#endif
}

}  // namespace strata::nn
