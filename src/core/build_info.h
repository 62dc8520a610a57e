#pragma once
// What this binary was built with; filled in by CMake (build_info.cpp.in).
#include <string>

namespace strata::build {

std::string version();
std::string git_revision();
std::string build_type();
std::string compiler();
bool with_cuda();
bool with_gdal();
bool with_hdf5();
bool with_mpi();
bool with_openblas();
bool with_cudnn();
bool with_nccl();

}  // namespace strata::build
