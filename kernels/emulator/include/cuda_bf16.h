#pragma once
// Stands in for NVIDIA's cuda_bf16.h under the host emulator.
#include "kernels/emulator/cuda_emulator.h"
