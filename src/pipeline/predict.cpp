#include "pipeline/predict.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/build_info.h"
#include "core/checked.h"
#include "core/classes.h"
#include "core/error.h"
#include "core/fnv1a.h"
#include "core/log.h"
#include "nn/backend_registry.h"
#include "nn/model_state.h"
#include "nn/trainer.h"
#include "pipeline/predict_output.h"
#include "pipeline/predict_tiles.h"
#include "store/checkpoint.h"

namespace strata::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void validate(const PredictOptions& o) {
  if (o.model.empty()) throw UsageError("strata predict: --model is required");
  if (o.scenes.empty()) throw UsageError("strata predict: --scenes is required");
  if (o.out_dir.empty()) throw UsageError("strata predict: --out is required");
  if (!o.start.empty()) check_date(o.start, "--start");
  if (!o.end.empty()) check_date(o.end, "--end");
  composite_percentile(o.composite);
  parse_probability_type(o.probabilities);
  nn::parse_device(o.device);
  nn::check_device_precision(o.device, o.precision);
  if (o.tile < 1) throw UsageError("--tile must be at least 1");
  if (o.halo < -1) throw UsageError("--halo must be auto or >= 0");
}

// One output map: a scene, or the composite of all scenes.
struct Product {
  std::string name;
  bool composite = false;
  std::string date;            // the scene's date, or "" for a composite
  std::vector<int64_t> scenes; // indices into the stack
  std::string fingerprint;     // of everything but the model that decides its bytes
};

// A file's identity for the fingerprint: path, size and modification time, so that a scene
// replaced by a reprocessed one is predicted again.
std::string file_identity(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec);
  return path + "@" + std::to_string(ec ? 0 : size) + "@" +
         std::to_string(ec ? 0 : mtime.time_since_epoch().count());
}

std::vector<Product> make_products(const PredictOptions& o, const SceneStack& stack, double percentile, int64_t tile,
                                   int64_t halo, ProbabilityType type) {
  std::string common = "strata-predict/1|";
  for (const std::string& part : {o.composite, std::to_string(tile), std::to_string(halo),
                                  std::string(probability_type_name(type)), std::to_string(o.stack.mask.dilation_radius)})
    common += part + "|";
  if (!o.stack.cloud_mask) common += "unmasked|";  // only then: earlier runs' fingerprints stay valid
  for (const auto& b : stack.bands()) common += b + ",";
  std::vector<Product> products;
  if (percentile >= 0) {
    Product p{"composite", true, "", {}, common};
    for (int64_t s = 0; s < stack.size(); ++s) {
      p.scenes.push_back(s);
      p.fingerprint += '|';
      p.fingerprint += file_identity(stack.inputs()[static_cast<size_t>(s)].path);
    }
    products.push_back(std::move(p));
  } else {
    std::set<std::string> names;
    for (int64_t s = 0; s < stack.size(); ++s) {
      const SceneInput& in = stack.inputs()[static_cast<size_t>(s)];
      if (!names.insert(in.id).second)
        throw Error(in.path + ": another scene has the same name '" + in.id + "'; their maps would collide in " + o.out_dir);
      std::string fingerprint = common;
      for (const std::string& part : {file_identity(in.path), in.qa_path}) (fingerprint += '|') += part;
      products.push_back({in.id, false, in.date, {s}, fingerprint});
    }
  }
  for (Product& p : products) p.fingerprint = Fnv1a().add(p.fingerprint).hex();
  return products;
}

std::string tile_name(const geo::Window& tile, int64_t size) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "r%03lld_c%03lld.tif", static_cast<long long>(tile.y / size),
                static_cast<long long>(tile.x / size));
  return buf;
}

std::string vrt_path(const PredictOptions& o, const Product& p) { return (fs::path(o.out_dir) / (p.name + ".vrt")).string(); }

// What the VRT and every tile of a product say about where they come from; an imported model's
// licence and attribution travel with every map made from it (Apache-2.0 asks for the NOTICE).
std::map<std::string, std::string> product_metadata(const PredictOptions& o, const Product& p, const std::string& hash,
                                                    const nn::ModelState& state) {
  std::map<std::string, std::string> md = {{kModelHashKey, hash}, {"MODEL", o.model}};
  if (!p.date.empty()) md["DATE"] = p.date;
  for (const auto& [key, item] : {std::pair{"source.notice", "MODEL_ATTRIBUTION"}, std::pair{"source.license", "MODEL_LICENSE"}})
    if (const auto it = state.metadata.find(key); it != state.metadata.end()) md[item] = it->second;
  return md;
}

// Rank 0, before any rank writes: product folders exist, and what a killed run left half-written
// (temporary files) or an earlier run with other tiles left behind is gone.
void prepare_output_dir(const PredictOptions& o, const std::vector<Product>& products,
                        const std::vector<TileGeometry>& tiles) {
  fs::create_directories(o.out_dir);
  std::set<std::string> planned;
  for (const auto& t : tiles) planned.insert(tile_name(t.tile, o.tile));
  for (const Product& p : products) {
    const fs::path dir = fs::path(o.out_dir) / p.name;
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.find(".tmp-") != std::string::npos || (name[0] == 'r' && !planned.count(name))) fs::remove(e.path());
    }
  }
  for (const auto& e : fs::directory_iterator(o.out_dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove_all(e.path());
}

// Everything one rank needs to turn tiles into files; buffers sized once for the largest tile.
class TilePredictor {
 public:
  TilePredictor(nn::Backend& be, nn::Model& model, const nn::ModelInfo& info, const SceneStack& stack,
                ProbabilityType type, int64_t max_pixels)
      : be_(be),
        predictor_(model),
        info_(info),
        stack_(stack),
        type_(type),
        bands_(static_cast<int64_t>(stack.bands().size())),
        d_dn_(be, checked_product({bands_, max_pixels, static_cast<int64_t>(sizeof(uint16_t))})),
        d_x_(be, checked_product({bands_, max_pixels, static_cast<int64_t>(sizeof(float))})) {}

  double network_seconds = 0;
  int64_t valid_pixels = 0, nodata_pixels = 0;

  void run(const Product& product, const TileGeometry& g, const std::string& path,
           const std::map<std::string, std::string>& metadata) {
    read_input(product, g.input);
    const int64_t ih = g.input.height, iw = g.input.width, ph = g.padded_height, pw = g.padded_width;
    const uint16_t* dn = dn_.data();
    if (ph != ih || pw != iw) {
      padded_.resize(static_cast<size_t>(checked_product({bands_, ph, pw})));
      pad_replicate(dn_.data(), bands_, ih, iw, ph, pw, padded_.data());
      dn = padded_.data();
    }
    const auto t0 = Clock::now();
    be_.upload(d_dn_.as<void>(), dn, static_cast<size_t>(bands_ * ph * pw) * sizeof(uint16_t));
    be_.normalize_bands(d_dn_.as<uint16_t>(), d_x_.as<float>(), info_.normalization, 1, ph * pw);
    const nn::Act p = predictor_.probabilities(d_x_.as<float>(), 1, ph, pw);
    probs_.resize(static_cast<size_t>(p.numel()));
    be_.download(probs_.data(), p.data, probs_.size() * sizeof(float));
    network_seconds += seconds_since(t0);

    const int64_t ox = g.tile.x - g.input.x, oy = g.tile.y - g.input.y, tw = g.tile.width, th = g.tile.height;
    tile_valid_.resize(static_cast<size_t>(tw * th));
    for (int64_t y = 0; y < th; ++y)
      for (int64_t x = 0; x < tw; ++x) {
        const uint8_t v = valid_[static_cast<size_t>((oy + y) * iw + ox + x)];
        tile_valid_[static_cast<size_t>(y * tw + x)] = v;
        (v ? valid_pixels : nodata_pixels) += 1;
      }
    geo::RasterWriter out(path, stack_.grid().sub(g.tile), kPredictionBands, prediction_write_options(type_, metadata));
    if (type_ == ProbabilityType::u8) {
      encode_prediction(probs_.data(), p.c, ph, pw, ox, oy, tw, th, tile_valid_.data(), out_u8_);
      out.write_all(geo::Window{0, 0, tw, th}, out_u8_.data());
    } else {
      encode_prediction(probs_.data(), p.c, ph, pw, ox, oy, tw, th, tile_valid_.data(), out_f32_);
      out.write_all(geo::Window{0, 0, tw, th}, out_f32_.data());
    }
    out.commit();
  }

 private:
  // dn_ [bands][h][w] and valid_ [h][w]: the clear observations (of the composite, or of the scene);
  // the rest is 0 DN, as in the training patches.
  void read_input(const Product& product, const geo::Window& w) {
    const int64_t n = w.pixels();
    valid_.assign(static_cast<size_t>(n), 0);
    if (product.composite) {
      stack_.composite(w, dn_, count_);
      for (int64_t i = 0; i < n; ++i) valid_[static_cast<size_t>(i)] = count_[static_cast<size_t>(i)] > 0;
    } else {
      SceneWindow sw = stack_.read(product.scenes.front(), w);
      dn_ = std::move(sw.dn);
      for (int64_t i = 0; i < n; ++i) valid_[static_cast<size_t>(i)] = geo::is_clear(sw.mask[static_cast<size_t>(i)]);
    }
    for (int64_t i = 0; i < n; ++i)
      if (!valid_[static_cast<size_t>(i)])
        for (int64_t b = 0; b < bands_; ++b) dn_[static_cast<size_t>(b * n + i)] = 0;
  }

  nn::Backend& be_;
  nn::Predictor predictor_;
  const nn::ModelInfo& info_;
  const SceneStack& stack_;
  ProbabilityType type_;
  int64_t bands_;
  nn::DeviceBuffer d_dn_, d_x_;
  std::vector<uint16_t> dn_, padded_;
  std::vector<uint8_t> valid_, count_, tile_valid_, out_u8_;
  std::vector<float> probs_, out_f32_;
};

// A model trained on one product level (Dynamic World's: L1C, top of the atmosphere) still runs on
// the other, but its classes shift: say so once, naming the first such scene.
void warn_level_mismatch(const nn::ModelState& state, const SceneStack& stack, dist::Communicator& comm) {
  const auto it = state.metadata.find("input_level");
  if (it == state.metadata.end() || !comm.is_root()) return;
  int64_t others = 0;
  std::string first;
  for (int64_t s = 0; s < stack.size(); ++s) {
    const std::string level = stack.scene(s).processing_level();
    if (level.empty() || level == it->second) continue;
    if (others++ == 0) first = stack.inputs()[static_cast<size_t>(s)].path + " is " + level;
  }
  if (others > 0)
    log::warn("predict: ", first, (others > 1 ? " (and " + std::to_string(others - 1) + " more scene(s))" : ""),
              " but the model was trained on ", it->second, " input; expect shifted classes");
}

void write_run_files(const PredictOptions& o, const std::vector<Product>& products, const std::vector<TileGeometry>& tiles,
                     const SceneStack& stack, const std::string& hash, int64_t halo, ProbabilityType type,
                     const nn::ModelState& state) {
  json jp = json::array();
  for (const Product& p : products) {
    std::vector<std::string> files, absolute;
    for (const auto& t : tiles) {
      files.push_back(p.name + "/" + tile_name(t.tile, o.tile));
      absolute.push_back((fs::path(o.out_dir) / files.back()).string());
    }
    geo::build_mosaic_vrt(vrt_path(o, p), absolute, prediction_mosaic_bands(type), product_metadata(o, p, hash, state));
    json scenes = json::array();
    for (int64_t s : p.scenes) scenes.push_back(stack.inputs()[static_cast<size_t>(s)].path);
    jp.push_back({{"name", p.name}, {"date", p.date}, {"vrt", p.name + ".vrt"}, {"scenes", scenes}, {"tiles", files}});
  }
  const json run = {{"format", "strata-predict/1"},
                    {"strata", build::version()},
                    {"model", o.model},
                    {"model_hash", hash},
                    {"bands", stack.bands()},
                    {"classes", class_names()},
                    {"tile", o.tile},
                    {"halo", halo},
                    {"composite", o.composite},
                    {"probabilities", probability_type_name(type)},
                    {"width", stack.grid().width},
                    {"height", stack.grid().height},
                    {"products", jp}};
  write_text_atomically((fs::path(o.out_dir) / "predict.json").string(), run.dump(2) + "\n");
}

}  // namespace

PredictSummary run_predict(const PredictOptions& opts, dist::Communicator& comm) {
  const auto t_start = Clock::now();
  validate(opts);
  PredictOptions o = opts;
  const ProbabilityType type = parse_probability_type(o.probabilities);
  const double percentile = composite_percentile(o.composite);
  if (percentile >= 0) o.stack.percentile = percentile;

  // The model, on every rank.
  const nn::ModelState state = store::read_checkpoint(o.model);
  const nn::ModelInfo info = nn::info_from_state(state);
  const nn::ModelConfig config = nn::config_from_state(state);
  if (config.classes != kNumClasses)
    throw Error(o.model + ": the model has " + std::to_string(config.classes) + " classes; predict writes the 9 Dynamic World classes");
  const std::string hash = nn::prediction_hash(state);
  const nn::Device device = nn::parse_device(o.device);
  auto backend = device == nn::Device::cpu ? nn::make_cpu_backend(1)
                                           : nn::make_backend(device, 0, nn::parse_precision(o.precision));
  auto model = nn::model_from_state(*backend, state);

  // The scenes, read with the model's bands.
  std::vector<SceneInput> all = resolve_scenes(o.scenes, (fs::path(o.out_dir) / ".stac").string());
  std::vector<SceneInput> scenes = filter_by_date(all, o.start, o.end);
  if (scenes.empty()) throw Error("no scene lies in the date window (" + std::to_string(all.size()) + " scene(s) found)");
  o.stack.bands = info.band_names;
  const SceneStack stack(scenes, o.stack);
  warn_level_mismatch(state, stack, comm);

  const int64_t multiple = nn::spatial_multiple(config);
  const int64_t halo = o.halo >= 0 ? o.halo : auto_halo(nn::receptive_radius(config), multiple);
  if (halo < nn::receptive_radius(config) && comm.is_root())
    log::warn("predict: --halo ", halo, " is below the model's receptive radius (", nn::receptive_radius(config),
              " px): tile edges will differ from a whole-image prediction");
  const std::vector<TileGeometry> tiles = plan_tiles(stack.grid().width, stack.grid().height, o.tile, halo, multiple);
  const std::vector<Product> products = make_products(o, stack, percentile, o.tile, halo, type);
  const int64_t work = checked_mul(static_cast<int64_t>(products.size()), static_cast<int64_t>(tiles.size()));
  if (comm.is_root()) {
    log::info("predict: ", config.describe(), " (", hash, "), ", products.size(), " map(s) of ", stack.grid().width, "x",
              stack.grid().height, ", ", tiles.size(), " tile(s) of ", o.tile, " px + halo ", halo, ", ", comm.size(),
              " rank(s)");
    prepare_output_dir(o, products, tiles);
  }
  comm.barrier();

  // Largest network inputs first: a rank's first tile then sizes every buffer for good, where
  // growing them tile by tile costs fresh pages (page faults) each time.
  std::vector<size_t> order(tiles.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto area = [&](size_t i) { return tiles[i].padded_width * tiles[i].padded_height; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return area(a) > area(b); });
  const int64_t max_pixels = area(order.front());
  TilePredictor predictor(*backend, *model, info, stack, type, max_pixels);
  PredictSummary summary;
  summary.tiles = work;
  summary.halo = halo;
  summary.model_hash = hash;
  {
    auto counter = comm.make_counter();  // ranks take the next tile when done with theirs
    for (int64_t i = counter->next(); i < work; i = counter->next()) {
      const Product& product = products[static_cast<size_t>(i / static_cast<int64_t>(tiles.size()))];
      const TileGeometry& g = tiles[order[static_cast<size_t>(i % static_cast<int64_t>(tiles.size()))]];
      const std::string path = (fs::path(o.out_dir) / product.name / tile_name(g.tile, o.tile)).string();
      const std::string inputs = product.fingerprint + "/" + std::to_string(g.tile.x) + "," + std::to_string(g.tile.y);
      if (!o.force && tile_is_current(path, hash, inputs)) {
        ++summary.skipped;
        continue;
      }
      std::map<std::string, std::string> md = product_metadata(o, product, hash, state);
      md[kInputsKey] = inputs;
      predictor.run(product, g, path, md);
      ++summary.computed;
      log::debug("predict: ", path);
    }
  }
  int64_t counts[4] = {summary.computed, summary.skipped, predictor.valid_pixels, predictor.nodata_pixels};
  comm.allreduce_sum(counts, 4);
  double network = predictor.network_seconds;
  comm.allreduce_sum(&network, 1);
  summary.computed = counts[0];
  summary.skipped = counts[1];
  summary.valid_pixels = counts[2];
  summary.nodata_pixels = counts[3];
  summary.network_seconds = network;
  if (comm.is_root()) write_run_files(o, products, tiles, stack, hash, halo, type, state);
  comm.barrier();  // the VRTs exist before any rank returns
  for (const Product& p : products) summary.products.push_back(vrt_path(o, p));
  summary.seconds = seconds_since(t_start);
  return summary;
}

}  // namespace strata::pipeline
