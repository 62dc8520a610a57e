#pragma once
#include <string>

namespace strata::dist {
// MPI library version ("Open MPI v4.1.4, ...") or "not built".
std::string mpi_version_string();
// NCCL version ("2.27.3") or "not built".
std::string nccl_version_string();
}  // namespace strata::dist
