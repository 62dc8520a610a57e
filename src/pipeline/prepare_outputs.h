#pragma once
// What prepare leaves besides the shards: manifest.json and, on request, the cloud masks.
#include <string>
#include <vector>

#include "geo/grid.h"
#include "pipeline/dataset_files.h"
#include "pipeline/prepare.h"

namespace strata::pipeline {

void write_manifest(const PrepareSummary& summary, const PrepareOptions& options, const std::vector<SceneInput>& scenes,
                    const SceneStack& stack, const std::string& config_hash, const SplitLayout& layout);

// masks/<scene id>_mask.tif from the ranks' parts: strip k of the grid came from rank k % ranks.
void merge_mask_parts(const DatasetFiles& files, const std::vector<SceneInput>& scenes, const geo::Grid& grid,
                      int64_t strip_height, int ranks);

}  // namespace strata::pipeline
