#pragma once
// The CUDA backend: the same Backend interface as the CPU, backed by the kernels in this folder
// (one op per .cu, declared in ops.cuh). Device memory comes from a caching arena
// (device_arena.h): after the first step of a shape, a training step makes no cudaMalloc.
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
// Why there is no usable device, "" when there is one: CUDA's own error when cudaGetDeviceCount
// fails (no driver, a driver too old for the runtime, ...), so that is not read as "no GPU".
std::string device_problem();
// precision: fp32 runs every convolution on CUDA cores; tf32 / bf16 run the conv-like products
// (forward and input gradient of conv2d and conv_transpose2d) on tensor cores with fp32
// accumulation; weight gradients and all other ops stay fp32.
std::unique_ptr<nn::Backend> make_cuda_backend(int index, nn::ConvPrecision precision = nn::ConvPrecision::fp32);
std::string runtime_version_string();
std::string cudnn_version_string();

}  // namespace strata::cuda
