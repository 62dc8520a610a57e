#pragma once
// STAC ItemCollections (or single Items) of Sentinel-2 scenes. Each item's band assets (COGs, local
// or over HTTP through /vsicurl/) become one VRT with band descriptions, the item's datetime and
// processing baseline in its metadata, so the rest of strata sees an ordinary scene file.
#include <string>
#include <vector>

#include "pipeline/scene_inputs.h"

namespace strata::pipeline {

std::vector<SceneInput> resolve_stac(const std::string& json_path, const std::string& work_dir);

}  // namespace strata::pipeline
