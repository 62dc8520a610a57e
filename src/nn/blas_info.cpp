#include "nn/blas_info.h"

#ifdef STRATA_HAVE_OPENBLAS
extern "C" char* openblas_get_config(void);
extern "C" char* openblas_get_corename(void);
#endif

namespace strata::nn {

std::string blas_version_string() {
#ifdef STRATA_HAVE_OPENBLAS
  return std::string(openblas_get_config()) + " (core " + openblas_get_corename() + ")";
#else
  return "not built";
#endif
}

}  // namespace strata::nn
