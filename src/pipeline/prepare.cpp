#include "pipeline/prepare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/build_info.h"
#include "core/checked.h"
#include "core/classes.h"
#include "core/error.h"
#include "core/fnv1a.h"
#include "nn/model.h"
#include "core/log.h"
#include "geo/label_scheme.h"
#include "geo/raster.h"
#include "pipeline/dataset_files.h"
#include "pipeline/prepare_outputs.h"
#include "store/shard.h"

namespace strata::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Options and the run's identity

void validate(const PrepareOptions& o) {
  if (o.scenes.empty()) throw UsageError("strata prepare: --scenes is required");
  if (o.labels.empty()) throw UsageError("strata prepare: --labels is required");
  if (o.out_dir.empty()) throw UsageError("strata prepare: --out is required");
  if (!o.start.empty()) check_date(o.start, "--start");
  if (!o.end.empty()) check_date(o.end, "--end");
  if (!o.start.empty() && !o.end.empty() && o.start > o.end) throw UsageError("--start is after --end");
  composite_percentile(o.composite);
  const auto& s = o.sampling;
  if (s.patch < 8 || s.patch > 4096) throw UsageError("--patch must be in 8..4096");
  if (s.patches < 1) throw UsageError("--patches must be at least 1");
  if (!(s.val_fraction >= 0 && s.val_fraction < 1)) throw UsageError("--val-fraction must be in [0, 1)");
  if (o.shard_size < 1) throw UsageError("--shard-size must be at least 1");
}

// FNV-1a over everything that decides the dataset's bytes; shards carry it so a rerun can tell
// its own finished work from a different run's.
std::string config_hash(const PrepareOptions& o, const std::vector<SceneInput>& scenes, const std::vector<std::string>& bands) {
  std::ostringstream s;
  // v2: validation blocks stratified by class (the same options drew other patches in v1).
  s << "v2|" << o.labels << "|" << o.label_scheme << "|" << o.composite << "|" << o.sampling.patch << "|"
    << o.sampling.patches << "|" << o.sampling.val_fraction << "|" << o.sampling.seed << "|" << o.sampling.min_labelled
    << "|" << o.sampling.max_oversample << "|" << o.shard_size << "|" << o.stack.mask.dilation_radius << "|";
  for (const auto& b : bands) s << b << ",";
  for (const auto& sc : scenes) {
    std::error_code ec;
    const auto size = fs::file_size(sc.path, ec);
    s << "|" << sc.path << "@" << (ec ? 0 : size) << "@" << sc.date;
  }
  return Fnv1a().add(s.str()).hex();
}

// ---------------------------------------------------------------------------------------------
// The output directory

// Rank 0 decides what happens to an existing directory; every rank learns it through the barrier
// that follows (an error aborts the job).
void prepare_output_dir(const PrepareOptions& o, const std::string& hash, const DatasetFiles& files) {
  fs::create_directories(o.out_dir);
  bool resume = false;
  if (fs::exists(files.state())) {
    std::ifstream in(files.state());
    json st = json::parse(in, nullptr, false);
    resume = !st.is_discarded() && st.value("config_hash", "") == hash;
  }
  const bool finished = fs::exists(files.manifest());
  const bool empty = fs::is_empty(o.out_dir);
  if (!o.overwrite) {
    if (finished) throw Error(o.out_dir + ": already holds a finished dataset (manifest.json); use --overwrite to redo it");
    if (!empty && !resume)
      throw Error(o.out_dir + ": is not empty and holds no interrupted run of these settings; use --overwrite");
  }
  if (o.overwrite || !resume) {
    for (const auto& e : fs::directory_iterator(o.out_dir)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("shard-", 0) == 0 || name == "manifest.json" || name == ".work" || name == "masks")
        fs::remove_all(e.path());
    }
  } else {
    log::info(o.out_dir, ": resuming an interrupted run; complete shards are kept");
    for (const auto& e : fs::directory_iterator(o.out_dir))  // what the killed run was writing
      if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove_all(e.path());
  }
  fs::create_directories(files.work());
  if (o.write_masks) fs::create_directories(files.masks());
  write_json_atomically(files.state(), json{{"config_hash", hash}, {"strata", build::version()}});
}

// ---------------------------------------------------------------------------------------------
// Phase 1: layers (the composite, or each scene) and labels on the grid, by strips

struct LabelSource {
  geo::Raster raster;
  geo::LabelScheme scheme;
  uint8_t fill = 0;  // a code the scheme maps to ignore: what pixels outside the labels get
};

LabelSource open_labels(const PrepareOptions& o) {
  LabelSource ls{geo::Raster::open(o.labels), geo::LabelScheme::load(o.label_scheme), 0};
  if (ls.raster.band_type(0) != geo::DataType::u8)
    throw Error(o.labels + ": label codes must be 8-bit (Byte), not " + geo::data_type_name(ls.raster.band_type(0)));
  std::optional<int> fill;
  if (auto nd = ls.raster.nodata(0); nd && *nd >= 0 && *nd <= 255 && ls.scheme.knows(static_cast<uint8_t>(*nd)))
    fill = static_cast<int>(*nd);
  for (int c = 0; c < 256 && !fill; ++c)
    if (ls.scheme.knows(static_cast<uint8_t>(c)) && ls.scheme.map(static_cast<uint8_t>(c)) == kIgnoreLabel) fill = c;
  if (!fill) throw Error(ls.scheme.source() + ": the label scheme has no code mapped to ignore, needed outside " + o.labels);
  ls.fill = static_cast<uint8_t>(*fill);
  return ls;
}

struct CandidateRecord {
  int64_t layer, row, col;
  std::array<int64_t, kNumClasses> pixels;
};

struct Phase1Result {
  std::vector<CandidateRecord> candidates;  // this rank's
  std::vector<int64_t> scene_usable, scene_observed;
  std::vector<int64_t> mask_sources;  // [scene][QA60, SCL, spectral]: chunks masked from each
  int64_t labelled_pixels = 0;
};

geo::WriteOptions scratch_options(geo::DataType type) {
  geo::WriteOptions w;
  w.type = type;
  w.compress = "LZW";
  w.predictor = 2;
  w.sparse = true;
  w.nodata = type == geo::DataType::u8 ? kIgnoreLabel : 0;
  return w;
}

Phase1Result build_layers(const PrepareOptions& o, const SceneStack& stack, const SplitLayout& layout,
                          const std::vector<CandidatePosition>& positions, const DatasetFiles& files, int64_t layers,
                          dist::Communicator& comm) {
  const geo::Grid& grid = stack.grid();
  const int64_t nb = static_cast<int64_t>(stack.bands().size()), patch = o.sampling.patch;
  LabelSource labels = open_labels(o);
  Phase1Result res;
  res.scene_usable.assign(static_cast<size_t>(stack.size()), 0);
  res.scene_observed.assign(static_cast<size_t>(stack.size()), 0);
  res.mask_sources.assign(static_cast<size_t>(3 * stack.size()), 0);

  std::vector<geo::RasterWriter> image_parts, label_parts, mask_parts;
  for (int64_t l = 0; l < layers; ++l) {
    image_parts.emplace_back(files.layer_part(l, comm.rank()), grid, static_cast<int>(nb), scratch_options(geo::DataType::u16));
    label_parts.emplace_back(files.label_part(l, comm.rank()), grid, 1, scratch_options(geo::DataType::u8));
  }
  if (o.write_masks)
    for (int64_t s = 0; s < stack.size(); ++s) {
      geo::WriteOptions mo = scratch_options(geo::DataType::u8);
      mo.nodata = geo::code(geo::MaskCode::nodata);
      mask_parts.emplace_back(files.mask_part(s, comm.rank()), grid, 1, mo);
    }

  // Chunks are whole blocks, so every candidate lies inside one chunk.
  const int64_t chunk_w = layout.block * std::max<int64_t>(1, 1024 / layout.block);
  std::vector<uint16_t> image;
  std::vector<uint8_t> count, codes, classes, layer_labels;
  std::vector<SceneWindow> scenes;
  const int64_t strips = layout.blocks_y;
  for (int64_t strip = comm.rank(); strip < strips; strip += comm.size()) {
    for (int64_t x0 = 0; x0 < grid.width; x0 += chunk_w) {
      const geo::Window w = geo::intersect({x0, strip * layout.block, chunk_w, layout.block}, grid.full());
      const int64_t n = w.pixels();
      codes.resize(static_cast<size_t>(n));
      classes.resize(static_cast<size_t>(n));
      labels.raster.read_onto<uint8_t>({0}, grid, w, codes.data(), geo::Resampling::nearest, labels.fill);
      labels.scheme.apply(codes.data(), classes.data(), n, o.labels);

      if (layers == 1) {
        stack.composite(w, image, count, &scenes);
      } else {
        scenes.clear();
        for (int64_t s = 0; s < stack.size(); ++s) scenes.push_back(stack.read(s, w));
      }
      for (int64_t s = 0; s < stack.size(); ++s) {
        const auto st = geo::mask_stats(scenes[static_cast<size_t>(s)].mask.data(), n);
        res.scene_usable[static_cast<size_t>(s)] += st.usable();
        res.scene_observed[static_cast<size_t>(s)] += st.observed();
        ++res.mask_sources[static_cast<size_t>(3 * s + static_cast<int64_t>(scenes[static_cast<size_t>(s)].source))];
        if (o.write_masks) mask_parts[static_cast<size_t>(s)].write({0}, w, scenes[static_cast<size_t>(s)].mask.data());
      }

      for (int64_t l = 0; l < layers; ++l) {
        // A pixel without a clear observation has no label to learn from.
        layer_labels = classes;
        if (layers == 1) {
          for (int64_t i = 0; i < n; ++i)
            if (count[static_cast<size_t>(i)] == 0) layer_labels[static_cast<size_t>(i)] = kIgnoreLabel;
        } else {
          SceneWindow& sw = scenes[static_cast<size_t>(l)];
          image = sw.dn;
          for (int64_t i = 0; i < n; ++i)
            if (!geo::is_clear(sw.mask[static_cast<size_t>(i)])) {
              layer_labels[static_cast<size_t>(i)] = kIgnoreLabel;
              for (int64_t b = 0; b < nb; ++b) image[static_cast<size_t>(b * n + i)] = 0;
            }
        }
        image_parts[static_cast<size_t>(l)].write_all(w, image.data());
        label_parts[static_cast<size_t>(l)].write({0}, w, layer_labels.data());
        for (uint8_t c : layer_labels) res.labelled_pixels += c != kIgnoreLabel;

        for (const CandidatePosition& p : positions) {
          if (p.row < w.y || p.row + patch > w.y + w.height || p.col < w.x || p.col + patch > w.x + w.width) continue;
          CandidateRecord rec{l, p.row, p.col, {}};
          for (int64_t y = 0; y < patch; ++y) {
            const uint8_t* row = layer_labels.data() + (p.row - w.y + y) * w.width + (p.col - w.x);
            for (int64_t x = 0; x < patch; ++x)
              if (row[x] < kNumClasses) ++rec.pixels[row[x]];
          }
          res.candidates.push_back(rec);
        }
      }
    }
  }
  for (auto& p : image_parts) p.commit();
  for (auto& p : label_parts) p.commit();
  for (auto& p : mask_parts) p.commit();
  return res;
}

std::string serialize(const std::vector<CandidateRecord>& v) {
  std::string s(v.size() * sizeof(CandidateRecord), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::vector<CandidateRecord> gather_candidates(const std::vector<CandidateRecord>& mine, dist::Communicator& comm) {
  std::vector<CandidateRecord> all;
  for (const std::string& part : comm.allgather(serialize(mine))) {
    const size_t n = part.size() / sizeof(CandidateRecord);
    const size_t at = all.size();
    all.resize(at + n);
    if (n) std::memcpy(all.data() + at, part.data(), n * sizeof(CandidateRecord));
  }
  // Rank order is not the grid's order; sorting makes the list the same for any number of ranks.
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a.layer, a.row, a.col) < std::tie(b.layer, b.row, b.col);
  });
  return all;
}

// ---------------------------------------------------------------------------------------------
// Phase 2: shards

struct ShardPlan {
  std::string file;
  Split split;
  std::vector<SelectedPatch> patches;
  std::vector<int64_t> layers;
};

// Per band sums over the shard's valid pixels, and the class histogram: what the manifest and the
// normalisation need, kept in the shard so a resumed run need not reread it.
struct ShardStats {
  std::vector<double> sum, sumsq;
  std::vector<int64_t> count;
  std::array<int64_t, kNumClasses + 1> class_pixels{};
};

std::string encode(const ShardStats& s) {
  json j{{"sum", s.sum}, {"sumsq", s.sumsq}, {"count", s.count}, {"class_pixels", s.class_pixels}};
  return j.dump();
}

ShardStats decode(const std::string& text) {
  const json j = json::parse(text);
  ShardStats s;
  s.sum = j["sum"].get<std::vector<double>>();
  s.sumsq = j["sumsq"].get<std::vector<double>>();
  s.count = j["count"].get<std::vector<int64_t>>();
  s.class_pixels = j["class_pixels"].get<std::array<int64_t, kNumClasses + 1>>();
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

PrepareSummary run_prepare(const PrepareOptions& opts, dist::Communicator& comm) {
  validate(opts);
  PrepareOptions o = opts;
  const double percentile = composite_percentile(o.composite);
  if (percentile >= 0) o.stack.percentile = percentile;
  const DatasetFiles files(o.out_dir);

  // Scenes, in a stable order, the same on every rank.
  std::vector<SceneInput> all = resolve_scenes(o.scenes, (fs::path(o.out_dir) / ".stac").string());
  std::vector<SceneInput> scenes = filter_by_date(all, o.start, o.end);
  if (scenes.empty())
    throw Error("no scene lies in " + (o.start.empty() ? std::string("...") : o.start) + " .. " +
                (o.end.empty() ? std::string("...") : o.end) + " (" + std::to_string(all.size()) + " scene(s) found)");
  // Bands both product levels have, so that a model trained on them maps L1C and L2A archives
  // alike: Dynamic World's nine. B1 and B9 (60 m) measure mostly the atmosphere (aerosol, water
  // vapour), which is what differs between the levels, and L2A has no B10. "all": the first scene's.
  if (o.stack.bands.empty()) o.stack.bands = nn::dynamic_world_bands();
  else if (o.stack.bands.size() == 1 && o.stack.bands[0] == "all") o.stack.bands.clear();
  SceneStack stack(scenes, o.stack);
  // A dataset may mix L1C and L2A scenes (the manifest records each scene's level, and a patch's
  // origin names its scene), but a composite of the two would be half top-of-atmosphere, half surface.
  if (percentile >= 0)
    for (int64_t i = 1; i < stack.size(); ++i)
      if (stack.scene(i).processing_level() != stack.scene(0).processing_level())
        throw UsageError(scenes[static_cast<size_t>(i)].path + ": is " + stack.scene(i).processing_level() + " but " +
                         scenes[0].path + " is " + stack.scene(0).processing_level() +
                         "; a composite takes one level (prepare them apart, or --composite none)");
  const std::string hash = config_hash(o, scenes, stack.bands());
  if (comm.is_root()) prepare_output_dir(o, hash, files);
  comm.barrier();

  const geo::Grid& grid = stack.grid();
  SplitLayout layout = make_split_layout(grid.width, grid.height, o.sampling);
  const auto positions = candidate_positions(layout, grid.width, grid.height, o.sampling.patch);
  const int64_t layers = percentile >= 0 ? 1 : stack.size();
  if (comm.is_root())
    log::info("prepare: ", scenes.size(), " scene(s), grid ", grid.width, "x", grid.height, ", ", stack.bands().size(),
              " bands, ", layers == 1 ? o.composite + " composite" : "no composite", ", ", comm.size(), " rank(s)");

  // Phase 1.
  Phase1Result p1 = build_layers(o, stack, layout, positions, files, layers, comm);
  comm.allreduce_sum(p1.scene_usable.data(), static_cast<int64_t>(p1.scene_usable.size()));
  comm.allreduce_sum(p1.scene_observed.data(), static_cast<int64_t>(p1.scene_observed.size()));
  comm.allreduce_sum(p1.mask_sources.data(), static_cast<int64_t>(p1.mask_sources.size()));
  comm.allreduce_sum(&p1.labelled_pixels, 1);
  PrepareSummary summary;
  for (int64_t s = 0; s < stack.size(); ++s) {
    std::string used;
    for (int k = 0; k < 3; ++k)
      if (p1.mask_sources[static_cast<size_t>(3 * s + k)] > 0)
        used += (used.empty() ? "" : "+") + geo::mask_source_name(static_cast<geo::MaskSource>(k));
    summary.mask_sources.push_back(used);
  }
  for (int64_t s = 0; s < stack.size(); ++s) {
    const auto usable = p1.scene_usable[static_cast<size_t>(s)], observed = p1.scene_observed[static_cast<size_t>(s)];
    if (observed == 0 || static_cast<double>(usable) < 0.001 * static_cast<double>(observed)) {
      summary.cloudy_scenes.push_back(scenes[static_cast<size_t>(s)].path);
      if (comm.is_root())
        log::warn(scenes[static_cast<size_t>(s)].path, ": no clear pixel (", observed == 0 ? "no data" : "all cloud",
                  "); skipped");
    }
  }
  summary.scenes_used = stack.size() - static_cast<int64_t>(summary.cloudy_scenes.size());
  if (summary.scenes_used == 0) throw Error("every scene is cloud-covered or empty: nothing to learn from");
  if (p1.labelled_pixels == 0)
    throw Error(o.labels + ": no labelled pixel on the scenes' clear pixels (do the labels overlap the scenes?)");
  const auto records = gather_candidates(p1.candidates, comm);
  comm.barrier();  // every rank's layer parts are complete before anyone reads them

  // Selection: identical on every rank.
  std::vector<PatchCandidate> cands;
  for (const auto& r : records) {
    PatchCandidate c;
    c.row = r.row;
    c.col = r.col;
    c.class_pixels = r.pixels;
    cands.push_back(c);
  }
  const StratifyResult stratified = stratify_split(layout, cands, o.sampling.val_fraction);
  std::vector<SelectedPatch> selected = select_patches(cands, layout, o.sampling, &summary.sampling);
  summary.sampling.stratify = stratified;
  if (selected.empty()) throw Error("no patch qualifies (too few labelled pixels); lower --patch or check the labels");
  // select_patches knows positions, not layers: map each drawn position back to its candidate's layer.
  std::map<std::tuple<int64_t, int64_t>, std::vector<int64_t>> layers_at;
  for (const auto& r : records) layers_at[{r.row, r.col}].push_back(r.layer);
  std::map<std::tuple<int64_t, int64_t>, size_t> next_layer;

  // Shards: training first, then validation, each in the seeded order.
  std::vector<ShardPlan> plans;
  for (Split split : {Split::train, Split::val}) {
    std::vector<std::pair<SelectedPatch, int64_t>> list;
    for (const auto& s : selected) {
      if (s.split != split) continue;
      auto& ls = layers_at[{s.row, s.col}];
      const int64_t layer = ls[next_layer[{s.row, s.col}]++ % ls.size()];
      list.push_back({s, layer});
    }
    for (size_t i = 0; i < list.size(); i += static_cast<size_t>(o.shard_size)) {
      ShardPlan plan;
      plan.split = split;
      plan.file = files.shard(static_cast<int64_t>(plans.size()));
      for (size_t k = i; k < std::min(list.size(), i + static_cast<size_t>(o.shard_size)); ++k) {
        plan.patches.push_back(list[k].first);
        plan.layers.push_back(list[k].second);
      }
      plans.push_back(std::move(plan));
    }
  }

  // Phase 2: rank r writes shards r, r + size, ...; a patch is read from the part of the rank
  // that composited its strip.
  const int64_t nb = static_cast<int64_t>(stack.bands().size()), patch = o.sampling.patch;
  store::ShardHeader header;
  header.band_names = stack.bands();
  for (const char* c : class_names()) header.class_names.emplace_back(c);
  header.patch_size = patch;
  header.crs_wkt = grid.crs_wkt;
  header.config_hash = hash;
  if (layers == 1) header.scenes = {o.composite + " composite of " + std::to_string(stack.size()) + " scene(s)"};
  else
    for (const auto& s : scenes) header.scenes.push_back(s.id);

  std::map<std::string, geo::Raster> parts;
  auto part = [&](const std::string& path) -> const geo::Raster& {
    auto it = parts.find(path);
    if (it == parts.end()) it = parts.emplace(path, geo::Raster::open(path)).first;
    return it->second;
  };
  std::vector<int> all_bands(static_cast<size_t>(nb));
  for (int64_t b = 0; b < nb; ++b) all_bands[static_cast<size_t>(b)] = static_cast<int>(b);

  std::vector<std::optional<store::ShardWriter>> writers(plans.size());
  std::vector<std::string> my_stats(plans.size());
  std::vector<uint16_t> inputs(static_cast<size_t>(nb * patch * patch));
  std::vector<uint8_t> lab(static_cast<size_t>(patch * patch));
  for (size_t k = static_cast<size_t>(comm.rank()); k < plans.size(); k += static_cast<size_t>(comm.size())) {
    const ShardPlan& plan = plans[k];
    if (fs::exists(plan.file)) {
      try {
        const store::ShardReader existing(plan.file);
        if (existing.header().config_hash == hash && existing.size() == static_cast<int64_t>(plan.patches.size())) {
          my_stats[k] = existing.header().stats_json;
          continue;
        }
      } catch (const Error&) {
        // Unreadable: written again below.
      }
    }
    store::ShardHeader h = header;
    h.split = split_name(plan.split);
    writers[k].emplace(plan.file, h, static_cast<int64_t>(plan.patches.size()));
    ShardStats st;
    st.sum.assign(static_cast<size_t>(nb), 0.0);
    st.sumsq.assign(static_cast<size_t>(nb), 0.0);
    st.count.assign(static_cast<size_t>(nb), 0);
    for (size_t i = 0; i < plan.patches.size(); ++i) {
      const SelectedPatch& sp = plan.patches[i];
      const int owner = static_cast<int>((sp.row / layout.block) % comm.size());
      const geo::Window w{sp.col, sp.row, patch, patch};
      part(files.layer_part(plan.layers[i], owner)).read(all_bands, w, inputs.data());
      part(files.label_part(plan.layers[i], owner)).read({0}, w, lab.data());
      writers[k]->write(static_cast<int64_t>(i), inputs.data(), lab.data(), {layers == 1 ? 0 : plan.layers[i], sp.row, sp.col});
      for (uint8_t c : lab) ++st.class_pixels[c < kNumClasses ? c : kNumClasses];
      for (int64_t b = 0; b < nb; ++b)
        for (int64_t p = 0; p < patch * patch; ++p) {
          const uint16_t v = inputs[static_cast<size_t>(b * patch * patch + p)];
          if (v == 0) continue;
          st.sum[static_cast<size_t>(b)] += v;
          st.sumsq[static_cast<size_t>(b)] += static_cast<double>(v) * v;
          ++st.count[static_cast<size_t>(b)];
        }
    }
    my_stats[k] = encode(st);
  }

  // Normalisation from the training shards, summed in shard order: the same bits on any number of ranks.
  std::string mine;
  for (size_t k = 0; k < plans.size(); ++k)
    if (!my_stats[k].empty()) mine += std::to_string(k) + "\t" + my_stats[k] + "\n";
  std::vector<std::string> stats_by_shard(plans.size());
  for (const std::string& part_text : comm.allgather(mine)) {
    std::istringstream lines(part_text);
    std::string line;
    while (std::getline(lines, line)) {
      const size_t tab = line.find('\t');
      stats_by_shard[std::stoul(line.substr(0, tab))] = line.substr(tab + 1);
    }
  }
  std::vector<double> sum(static_cast<size_t>(nb), 0.0), sumsq(static_cast<size_t>(nb), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(nb), 0);
  for (size_t k = 0; k < plans.size(); ++k) {
    const ShardStats st = decode(stats_by_shard[k]);
    ShardSummary ss;
    ss.file = fs::path(plans[k].file).filename().string();
    ss.split = plans[k].split;
    ss.patches = static_cast<int64_t>(plans[k].patches.size());
    ss.class_pixels = st.class_pixels;
    summary.shards.push_back(ss);
    if (plans[k].split != Split::train) continue;
    for (size_t b = 0; b < static_cast<size_t>(nb); ++b) {
      sum[b] += st.sum[b];
      sumsq[b] += st.sumsq[b];
      count[b] += st.count[b];
    }
  }
  for (size_t b = 0; b < static_cast<size_t>(nb); ++b) {
    const double n = std::max<double>(1.0, static_cast<double>(count[b]));
    const double mean = sum[b] / n;
    summary.norm_mean.push_back(mean);
    summary.norm_std.push_back(std::sqrt(std::max(1.0, sumsq[b] / n - mean * mean)));
  }
  for (size_t k = 0; k < plans.size(); ++k) {
    if (!writers[k]) continue;
    writers[k]->set_normalization(summary.norm_mean, summary.norm_std);
    writers[k]->set_stats_json(stats_by_shard[k]);
    writers[k]->commit();
  }
  comm.barrier();

  summary.manifest = files.manifest();
  if (comm.is_root()) {
    if (o.write_masks) merge_mask_parts(files, scenes, grid, layout.block, comm.size());
    write_manifest(summary, o, scenes, stack, hash, layout);
    if (!o.keep_work) fs::remove_all(files.work());
  }
  comm.barrier();
  return summary;
}

std::string class_histogram_table(const PrepareSummary& s) {
  std::array<std::array<int64_t, kNumClasses + 1>, 2> px{};
  std::array<int64_t, 2> patches{};
  for (const auto& sh : s.shards) {
    patches[static_cast<size_t>(sh.split)] += sh.patches;
    for (size_t c = 0; c <= kNumClasses; ++c) px[static_cast<size_t>(sh.split)][c] += sh.class_pixels[c];
  }
  std::ostringstream t;
  char line[160];
  std::snprintf(line, sizeof line, "%-20s %14s %7s %14s %7s\n", "class", "train px", "%", "val px", "%");
  t << line;
  auto pct = [](int64_t a, int64_t total) { return total ? 100.0 * static_cast<double>(a) / static_cast<double>(total) : 0.0; };
  std::array<int64_t, 2> total{};
  for (size_t sp = 0; sp < 2; ++sp)
    for (size_t c = 0; c <= kNumClasses; ++c) total[sp] += px[sp][c];
  for (size_t c = 0; c <= kNumClasses; ++c) {
    std::snprintf(line, sizeof line, "%-20s %14lld %6.2f%% %14lld %6.2f%%\n", c < kNumClasses ? class_names()[c] : "ignore (255)",
                  static_cast<long long>(px[0][c]), pct(px[0][c], total[0]), static_cast<long long>(px[1][c]),
                  pct(px[1][c], total[1]));
    t << line;
  }
  std::snprintf(line, sizeof line, "%-20s %14lld %7s %14lld\n", "patches", static_cast<long long>(patches[0]), "",
                static_cast<long long>(patches[1]));
  t << line;
  return t.str();
}

}  // namespace strata::pipeline
