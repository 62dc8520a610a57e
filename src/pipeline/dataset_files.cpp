#include "pipeline/dataset_files.h"


#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace strata::pipeline {

std::string DatasetFiles::shard(int64_t index) const {
  char name[32];
  std::snprintf(name, sizeof name, "/shard-%05lld.h5", static_cast<long long>(index));
  return dir_ + name;
}

std::string DatasetFiles::layer_part(int64_t layer, int rank) const {
  return work() + "/layer-" + std::to_string(layer) + ".r" + std::to_string(rank) + ".tif";
}
std::string DatasetFiles::label_part(int64_t layer, int rank) const {
  return work() + "/labels-" + std::to_string(layer) + ".r" + std::to_string(rank) + ".tif";
}
std::string DatasetFiles::mask_part(int64_t scene, int rank) const {
  return work() + "/mask-" + std::to_string(scene) + ".r" + std::to_string(rank) + ".tif";
}

void write_json_atomically(const std::string& path, const nlohmann::json& value) {
  write_text_atomically(path, value.dump(2) + "\n");
}

}  // namespace strata::pipeline
