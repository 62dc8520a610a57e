#pragma once
// Where the files of a dataset directory live.
//   shard-NNNNN.h5   patch shards            manifest.json   written last: the dataset is complete
//   masks/           --write-masks           .work/          scratch of a run; state.json says whose
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace strata::pipeline {

class DatasetFiles {
 public:
  explicit DatasetFiles(std::string dir) : dir_(std::move(dir)) {}
  std::string manifest() const { return dir_ + "/manifest.json"; }
  std::string shard(int64_t index) const;
  std::string work() const { return dir_ + "/.work"; }
  std::string state() const { return work() + "/state.json"; }
  std::string masks() const { return dir_ + "/masks"; }
  // Per-rank parts of the grid-sized scratch rasters (sparse: a rank writes only its strips).
  std::string layer_part(int64_t layer, int rank) const;
  std::string label_part(int64_t layer, int rank) const;
  std::string mask_part(int64_t scene, int rank) const;

 private:
  std::string dir_;
};

// Writes pretty JSON under a temporary name and renames it into place.
void write_json_atomically(const std::string& path, const nlohmann::json& value);

}  // namespace strata::pipeline
