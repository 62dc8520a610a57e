#include "pipeline/info.h"

#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "dist/dist_info.h"
#include "geo/raster.h"
#include "nn/backend_registry.h"
#include "nn/blas_info.h"
#include "store/hdf5_info.h"

namespace strata::pipeline {

BuildReport collect_build_report() {
  BuildReport r;
  r.version = build::version();
  r.git_revision = build::git_revision();
  r.build_type = build::build_type();
  r.compiler = build::compiler();
  r.backends.push_back("cpu");
  if (build::with_cuda()) r.backends.push_back("cuda");
  for (const auto& d : nn::available_devices())
    r.devices.push_back(d.device == nn::Device::cpu ? "cpu" : "cuda:" + std::to_string(d.index) + " " + d.description);
  if (build::with_cuda() && r.devices.size() == 1) r.devices.push_back("cuda: none found (no driver or no GPU)");
  r.libraries = {
      {"GDAL", geo::gdal_version_string()},
      {"HDF5", store::hdf5_version_string()},
      {"MPI", dist::mpi_version_string()},
      {"NCCL", dist::nccl_version_string()},
      {"CUDA", nn::cuda_version_string()},
      {"cuDNN", nn::cudnn_version_string()},
      {"OpenBLAS", nn::blas_version_string()},
  };
  return r;
}

std::string to_text(const BuildReport& r) {
  std::string s = "strata " + r.version + " (git " + r.git_revision + ", " + r.build_type + ", " + r.compiler + ")\n";
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  s += "backends built: " + join(r.backends) + "\n";
  s += "devices found:  " + join(r.devices) + "\n";
  s += "libraries:\n";
  for (const auto& [name, version] : r.libraries) s += "  " + name + std::string(10 - name.size(), ' ') + version + "\n";
  return s;
}

std::string to_json(const BuildReport& r) {
  nlohmann::json j;
  j["version"] = r.version;
  j["git_revision"] = r.git_revision;
  j["build_type"] = r.build_type;
  j["compiler"] = r.compiler;
  j["backends"] = r.backends;
  j["devices"] = r.devices;
  for (const auto& [name, version] : r.libraries) j["libraries"][name] = version;
  return j.dump(2) + "\n";
}

}  // namespace strata::pipeline
