#pragma once
// A test that needs a CUDA device skips without one, saying why (CUDA's own error when
// cudaGetDeviceCount failed); with STRATA_REQUIRE_GPU=1 (scripts/gpu-check.sh, on a GPU machine)
// the same test fails instead, so a broken driver or setup cannot pass as "skipped".
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "nn/backend_registry.h"

namespace strata::test {

inline bool gpu_required() {
  const char* v = std::getenv("STRATA_REQUIRE_GPU");
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace strata::test

#define STRATA_SKIP_WITHOUT_CUDA_DEVICE()                                                                  \
  do {                                                                                                     \
    const std::string strata_no_device_ = ::strata::nn::cuda_device_problem();                            \
    if (!strata_no_device_.empty()) {                                                                      \
      if (::strata::test::gpu_required())                                                                  \
        FAIL() << "STRATA_REQUIRE_GPU is set but there is no usable CUDA device: " << strata_no_device_    \
               << " (CUDA " << ::strata::nn::cuda_version_string() << ")";                                \
      GTEST_SKIP() << "no CUDA device here: " << strata_no_device_ << " (CUDA "                           \
                   << ::strata::nn::cuda_version_string() << ")";                                         \
    }                                                                                                      \
  } while (0)
