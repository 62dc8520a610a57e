#pragma once
// Stands in for NVIDIA's cuda_runtime.h when the kernels are compiled as host C++: the emulator's
// device built-ins and runtime (kernels/emulator/, docs/cuda.md).
#include "kernels/emulator/cuda_emulator.h"
