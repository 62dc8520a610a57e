#pragma once
// Patch shards: `shard-NNNNN.h5`, readable from h5py.
//   /inputs  uint16 [N, bands, H, W]  Sentinel-2 DN (reflectance x 10000)
//   /labels  uint8  [N, H, W]         classes 0..8, 255 = ignore
//   /origin  int64  [N, 3]            (scene index, row, col) of the patch on the scene grid
// Root attributes: format_version, band_names, class_names, patch_size, norm_mean, norm_std
// (per band, from the training split), crs (WKT), split ("train" | "val"), scenes, config_hash,
// stats (JSON: this shard's band sums and class pixel counts).
// One patch per chunk, shuffle + deflate. Written under a temporary name, renamed on commit().
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::store {

constexpr int64_t kShardFormatVersion = 1;

struct ShardHeader {
  int64_t format_version = kShardFormatVersion;
  std::vector<std::string> band_names;
  std::vector<std::string> class_names;
  int64_t patch_size = 0;
  std::vector<double> norm_mean, norm_std;
  std::string crs_wkt;
  std::string split;
  std::vector<std::string> scenes;
  std::string config_hash;
  std::string stats_json;  // per-shard statistics the manifest is built from (band sums, class pixels)
  int64_t bands() const { return static_cast<int64_t>(band_names.size()); }
};

using PatchOrigin = std::array<int64_t, 3>;  // scene index, row, col

class ShardWriter {
 public:
  ShardWriter(std::string path, ShardHeader header, int64_t patches);
  ShardWriter(ShardWriter&&) noexcept;
  ~ShardWriter();  // removes the temporary file unless committed

  // inputs: [bands, H, W]; labels: [H, W].
  void write(int64_t index, const uint16_t* inputs, const uint8_t* labels, const PatchOrigin& origin);
  // The normalisation is known only once every shard of the training split is written.
  void set_normalization(const std::vector<double>& mean, const std::vector<double>& std);
  void set_stats_json(const std::string& json);
  void commit();
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

class ShardReader {
 public:
  // Validates the layout; a missing, truncated or foreign file is an Error naming it.
  explicit ShardReader(std::string path);
  ShardReader(ShardReader&&) noexcept;
  ~ShardReader();

  const ShardHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  void read(int64_t index, uint16_t* inputs, uint8_t* labels) const;
  PatchOrigin origin(int64_t index) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  ShardHeader header_;
  int64_t size_ = 0;
};

}  // namespace strata::store
