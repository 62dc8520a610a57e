#include "store/hdf5_info.h"

#include <hdf5.h>

namespace strata::store {

std::string hdf5_version_string() {
  unsigned major = 0, minor = 0, release = 0;
  if (H5get_libversion(&major, &minor, &release) < 0) return "unknown";
#ifdef H5_HAVE_PARALLEL
  const char* flavour = " (parallel)";
#else
  const char* flavour = " (serial)";
#endif
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release) + flavour;
}

}  // namespace strata::store
