#pragma once
// The CUDA backend: the same Backend interface as the CPU, backed by the kernels in this folder.
#include <memory>
#include <string>
#include <vector>

#include "nn/backend.h"

namespace strata::cuda {

struct DeviceDescription {
  int index;
  std::string description;  // "NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB"
};

// Empty when there is no driver or no GPU (never throws for that).
std::vector<DeviceDescription> list_devices();
std::unique_ptr<nn::Backend> make_cuda_backend(int index);
std::string runtime_version_string();
std::string cudnn_version_string();

}  // namespace strata::cuda
