#pragma once
// `strata prepare`: scenes + labels -> a class-balanced, spatially split dataset of HDF5 patch
// shards and a manifest. MPI-parallel: ranks share the compositing (by strips of the grid) and
// the shards; the dataset is the same for any number of ranks. A rerun after a kill finishes
// the job, keeping the shards already complete.
#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "pipeline/sampling.h"
#include "pipeline/scene_stack.h"

namespace strata::pipeline {

struct PrepareOptions {
  std::vector<std::string> scenes;  // globs, list files, STAC JSON, directories
  std::string labels;
  std::string label_scheme = "worldcover";
  std::string start, end;            // YYYY-MM-DD or ""
  std::string composite = "median";  // median | none | pNN (percentile NN)
  std::string out_dir;
  SamplingOptions sampling;
  int64_t shard_size = 256;  // patches per shard
  bool overwrite = false;
  bool write_masks = false;  // DIR/masks/<scene>_mask.tif
  bool keep_work = false;    // keep DIR/.work (composites, labels on the grid)
  StackOptions stack;
};

struct ShardSummary {
  std::string file;
  Split split = Split::train;
  int64_t patches = 0;
  std::array<int64_t, kNumClasses + 1> class_pixels{};  // the last is ignore (255)
};

struct PrepareSummary {
  std::string manifest;
  std::vector<ShardSummary> shards;
  SamplingReport sampling;
  std::vector<double> norm_mean, norm_std;
  int64_t scenes_used = 0;
  std::vector<std::string> mask_sources;  // per scene: "QA60", "SCL", "spectral" (or several)
  std::vector<std::string> cloudy_scenes;
};

PrepareSummary run_prepare(const PrepareOptions& options, dist::Communicator& comm);

// Pixels per class per split, as printed at the end of prepare.
std::string class_histogram_table(const PrepareSummary& summary);

}  // namespace strata::pipeline
