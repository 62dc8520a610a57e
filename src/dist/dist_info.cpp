#include "dist/dist_info.h"

#ifdef STRATA_HAVE_MPI
#include <mpi.h>
#endif
#ifdef STRATA_HAVE_NCCL
#include <nccl.h>
#endif

namespace strata::dist {

std::string mpi_version_string() {
#ifdef STRATA_HAVE_MPI
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  // Callable before MPI_Init by the standard.
  if (MPI_Get_library_version(buf, &len) != MPI_SUCCESS) return "unknown";
  std::string s(buf, static_cast<size_t>(len));
  if (auto nl = s.find_first_of("\n,"); nl != std::string::npos) s.resize(nl);
  return s;
#else
  return "not built";
#endif
}

std::string nccl_version_string() {
#ifdef STRATA_HAVE_NCCL
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
#else
  return "not built";
#endif
}

}  // namespace strata::dist
