#pragma once
#include <string>

namespace strata::store {
// "1.10.8 (parallel)" for `strata info`.
std::string hdf5_version_string();
}  // namespace strata::store
