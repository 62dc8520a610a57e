#pragma once
// Stands in for NVIDIA's mma.h (nvcuda::wmma) under the host emulator.
#include "kernels/emulator/cuda_emulator.h"
#include "kernels/emulator/wmma.h"
