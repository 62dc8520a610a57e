#pragma once
// Every CUDA call is checked: a failure throws strata::Error naming the statement,
// file:line and CUDA's own message.
#include <cuda_runtime.h>

#include <string>

#include "core/error.h"

namespace strata::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* statement, const char* file, int line);

}  // namespace strata::cuda

#define STRATA_CUDA_CHECK(stmt)                                                   \
  do {                                                                            \
    cudaError_t strata_cuda_err_ = (stmt);                                        \
    if (strata_cuda_err_ != cudaSuccess)                                          \
      ::strata::cuda::throw_cuda_error(strata_cuda_err_, #stmt, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, not at the next call.
#define STRATA_CUDA_CHECK_LAUNCH() STRATA_CUDA_CHECK(cudaGetLastError())
