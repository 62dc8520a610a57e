#include "pipeline/prepare_outputs.h"

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/classes.h"
#include "geo/cloud_mask.h"
#include "geo/label_scheme.h"
#include "geo/raster.h"

namespace strata::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json class_counts(const std::array<int64_t, kNumClasses + 1>& px) {
  json j = json::object();
  for (size_t c = 0; c < kNumClasses; ++c) j[class_names()[c]] = px[c];
  j["ignore"] = px[kNumClasses];
  return j;
}

json per_class(const std::array<int64_t, kNumClasses>& v) {
  json j = json::object();
  for (size_t c = 0; c < kNumClasses; ++c) j[class_names()[c]] = v[c];
  return j;
}

}  // namespace

void write_manifest(const PrepareSummary& s, const PrepareOptions& o, const std::vector<SceneInput>& scenes,
                    const SceneStack& stack, const std::string& hash, const SplitLayout& layout) {
  json m;
  m["format"] = "strata-patch-shards";
  m["format_version"] = 1;
  m["strata"] = build::version() + " (" + build::git_revision() + ")";
  m["config_hash"] = hash;
  m["bands"] = stack.bands();
  std::vector<std::string> classes;
  for (const char* c : class_names()) classes.emplace_back(c);
  m["classes"] = classes;
  m["ignore_label"] = kIgnoreLabel;
  m["patch_size"] = o.sampling.patch;
  const geo::Grid& g = stack.grid();
  m["grid"] = {{"width", g.width}, {"height", g.height}, {"geotransform", g.transform}, {"epsg", geo::crs_epsg(g.crs_wkt)},
               {"crs", g.crs_wkt}};
  m["normalization"] = {{"mode", "standard"}, {"mean", s.norm_mean}, {"std", s.norm_std}, {"split", "train"}};

  std::array<std::array<int64_t, kNumClasses + 1>, 2> px{};
  std::array<int64_t, 2> patches{};
  json shards = json::array();
  for (const auto& sh : s.shards) {
    const auto sp = static_cast<size_t>(sh.split);
    patches[sp] += sh.patches;
    for (size_t c = 0; c <= kNumClasses; ++c) px[sp][c] += sh.class_pixels[c];
    shards.push_back({{"file", sh.file}, {"split", split_name(sh.split)}, {"patches", sh.patches},
                      {"class_pixels", class_counts(sh.class_pixels)}});
  }
  m["shards"] = shards;
  for (Split sp : {Split::train, Split::val}) {
    const auto i = static_cast<size_t>(sp);
    m["splits"][split_name(sp)] = {{"patches", patches[i]},
                                   {"class_pixels", class_counts(px[i])},
                                   {"candidates_by_majority_class", per_class(s.sampling.available[i])},
                                   {"patches_by_majority_class", per_class(s.sampling.selected[i])}};
  }
  m["sampling"] = {{"seed", o.sampling.seed},
                   {"patches_requested", o.sampling.patches},
                   {"val_fraction", o.sampling.val_fraction},
                   {"split_block_pixels", layout.block},
                   {"split_stratify_cost", {s.sampling.stratify.cost_before, s.sampling.stratify.cost_after}},
                   {"min_labelled", o.sampling.min_labelled},
                   {"max_oversample", o.sampling.max_oversample},
                   {"rejected_unlabelled_candidates", s.sampling.rejected_unlabelled}};
  json sc = json::array();
  std::set<std::string> levels;
  for (size_t i = 0; i < scenes.size(); ++i) {
    const std::string level = stack.scene(static_cast<int64_t>(i)).processing_level();
    levels.insert(level);
    sc.push_back({{"path", scenes[i].path}, {"id", scenes[i].id}, {"date", scenes[i].date},
                  {"processing_level", level},
                  {"cloud_mask", i < s.mask_sources.size() ? s.mask_sources[i] : ""}});
  }
  m["processing_levels"] = levels;  // of the scenes; a patch's is its scene's (origin[0])
  m["sources"] = {{"scenes", sc},
                  {"cloudy_scenes_skipped", s.cloudy_scenes},
                  {"labels", o.labels},
                  {"label_scheme", geo::LabelScheme::load(o.label_scheme).source()},
                  {"composite", o.composite},
                  {"start", o.start},
                  {"end", o.end},
                  {"cloud_mask_dilation", o.stack.mask.dilation_radius}};
  write_json_atomically(s.manifest, m);
}

void merge_mask_parts(const DatasetFiles& files, const std::vector<SceneInput>& scenes, const geo::Grid& grid,
                      int64_t strip_height, int ranks) {
  geo::WriteOptions wo;
  wo.type = geo::DataType::u8;
  wo.nodata = geo::code(geo::MaskCode::nodata);
  wo.band_descriptions = {"cloud_mask"};
  wo.overviews = true;
  wo.overview_resampling = geo::Resampling::nearest;
  for (uint8_t c = 0; c < geo::kMaskCodeCount; ++c) wo.metadata["CODE_" + std::to_string(c)] = geo::mask_code_name(c);
  std::vector<uint8_t> buf;
  for (size_t s = 0; s < scenes.size(); ++s) {
    std::vector<geo::Raster> parts;
    for (int r = 0; r < ranks; ++r) parts.push_back(geo::Raster::open(files.mask_part(static_cast<int64_t>(s), r)));
    geo::RasterWriter out(files.masks() + "/" + scenes[s].id + "_mask.tif", grid, 1, wo);
    for (int64_t strip = 0; strip * strip_height < grid.height; ++strip) {
      const geo::Window w = geo::intersect({0, strip * strip_height, grid.width, strip_height}, grid.full());
      buf.resize(static_cast<size_t>(w.pixels()));
      parts[static_cast<size_t>(strip % ranks)].read({0}, w, buf.data());
      out.write({0}, w, buf.data());
    }
    out.commit();
  }
}

}  // namespace strata::pipeline
