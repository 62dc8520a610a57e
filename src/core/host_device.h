#pragma once
// Marks a pure function that both the CPU references and the CUDA kernels call, so that the
// rule it encodes is written once. Expands to nothing outside nvcc.
#if defined(__CUDACC__)
#define STRATA_HOST_DEVICE __host__ __device__
#else
#define STRATA_HOST_DEVICE
#endif
