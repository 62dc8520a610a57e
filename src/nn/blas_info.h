#pragma once
#include <string>

namespace strata::nn {
// OpenBLAS's own config string (version, core, threads) or "not built".
std::string blas_version_string();
}  // namespace strata::nn
