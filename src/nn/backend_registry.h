#pragma once
// Which backends this build has and which devices are present. Lives in its own target
// (strata_backends) because it is the one place that sees both src/nn and kernels/.
#include <memory>
#include <string>
#include <vector>

#include "nn/backend.h"

namespace strata::nn {

struct DeviceInfo {
  Device device;
  int index;
  std::string description;
};

// Devices usable now: always the CPU, plus each CUDA device when the CUDA backend was built
// and a driver and GPU are present.
std::vector<DeviceInfo> available_devices();

// The backend for `device`; throws Error with the reason when it was not built or no device is
// present. precision other than fp32 selects the CUDA backend's tensor-core convolutions; the CPU
// computes in fp32 only (UsageError otherwise).
std::unique_ptr<Backend> make_backend(Device device, int index = 0, ConvPrecision precision = ConvPrecision::fp32);

// --device and --precision of train and predict: each must parse (UsageError naming the flag),
// and tf32 / bf16 need --device cuda.
void check_device_precision(const std::string& device, const std::string& precision);

// Why the CUDA backend cannot run here ("" when it can): not built, or CUDA's own error.
std::string cuda_device_problem();

// "CUDA runtime 13.0, driver 12.8" / "cuDNN 9.x" / "not built"; for `strata info`.
std::string cuda_version_string();
std::string cudnn_version_string();

}  // namespace strata::nn
