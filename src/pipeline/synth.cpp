#include "pipeline/synth.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/classes.h"
#include "core/error.h"
#include "core/log.h"
#include "geo/footprint.h"
#include "geo/raster.h"
#include "pipeline/class_raster.h"
#include "geo/sentinel2.h"
#include "geo/synth/noise.h"
#include "geo/synth/synth_scene.h"

namespace strata::pipeline {
namespace {

namespace fs = std::filesystem;
using geo::synth::SynthScene;

// ESA WorldCover's published palette.
std::vector<geo::RGBA> worldcover_palette() {
  std::vector<geo::RGBA> t(256, geo::RGBA{0, 0, 0, 0});
  const std::pair<int, geo::RGBA> codes[] = {
      {10, {0x00, 0x64, 0x00, 255}}, {20, {0xff, 0xbb, 0x22, 255}}, {30, {0xff, 0xff, 0x4c, 255}},
      {40, {0xf0, 0x96, 0xff, 255}}, {50, {0xfa, 0x00, 0x00, 255}}, {60, {0xb4, 0xb4, 0xb4, 255}},
      {70, {0xf0, 0xf0, 0xf0, 255}}, {80, {0x00, 0x64, 0xc8, 255}}, {90, {0x00, 0x96, 0xa0, 255}},
      {95, {0x00, 0xcf, 0x75, 255}}, {100, {0xfa, 0xe6, 0xa0, 255}}};
  for (const auto& [code, c] : codes) t[static_cast<size_t>(code)] = c;
  return t;
}


// A north-up UTM grid at 10 m: a European zone from the seed unless given; the corner on the 10 m
// lattice, in the northern mid-latitudes where the phenology of geo/synth belongs.
geo::Grid scene_grid(const SynthOptions& o, int& epsg) {
  const uint64_t h = geo::synth::hash(o.seed, 0x6e0);
  epsg = o.epsg != 0 ? o.epsg : 32629 + static_cast<int>(h % 7);  // UTM 29N-35N: Europe, like the samples
  geo::Grid g;
  g.width = g.height = o.size;
  const double x0 = 200000.0 + 10.0 * static_cast<double>((h >> 8) % 20000);
  const double y0 = 5000000.0 + 10.0 * static_cast<double>((h >> 32) % 50000) + 10.0 * static_cast<double>(o.size);
  g.transform = {x0, 10.0, 0.0, y0, 0.0, -10.0};
  g.crs_wkt = geo::crs_wkt_from_epsg(epsg);
  return g;
}

void check_out_dir(const SynthOptions& o) {
  std::error_code ec;
  if (fs::exists(o.out_dir, ec)) {
    if (!fs::is_directory(o.out_dir, ec)) throw UsageError("strata synth: --out " + o.out_dir + " exists and is not a directory");
    if (!fs::is_empty(o.out_dir, ec) && !o.overwrite)
      throw UsageError("strata synth: --out " + o.out_dir + " is not empty (pass --overwrite to replace its files)");
  } else {
    fs::create_directories(o.out_dir, ec);
    if (ec) throw Error(o.out_dir + ": cannot create the output directory: " + ec.message());
  }
}

nlohmann::json window_json(const geo::Window& w) {
  return {{"x", w.x}, {"y", w.y}, {"width", w.width}, {"height", w.height}};
}

nlohmann::json event_json(const geo::synth::Event& e, const SynthScene& scene) {
  nlohmann::json j = {{"kind", e.kind}, {"active", e.active}};
  if (!e.active) return j;
  const auto& d = scene.dates();
  j["first_date"] = d[static_cast<size_t>(e.first_date)].iso();
  j["last_date"] = d[static_cast<size_t>(e.last_date)].iso();
  j["first_date_index"] = e.first_date;
  j["last_date_index"] = e.last_date;
  j["centre"] = {e.cx, e.cy};
  j["radius_px"] = e.radius;
  j["bbox"] = window_json(e.bbox);
  return j;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The metadata a real product carries, under the keys of ESA's SAFE / GDAL's SENTINEL2 driver
// (and Earth Engine's property names for the angles), so that prepare and predict read a
// synthetic scene as they read a real one; the atmosphere behind it under STRATA_*.
std::map<std::string, std::string> product_metadata(const SynthOptions& o, const SynthScene& scene, int d) {
  const auto& date = scene.dates()[static_cast<size_t>(d)];
  const auto& atm = scene.atmospheres()[static_cast<size_t>(d)];
  const bool l2a = o.level == geo::s2::Level::l2a, b04 = geo::synth::baseline_04(date);
  const std::string offset = b04 ? "-1000" : "0";
  std::map<std::string, std::string> m = {
      {"STRATA_SYNTHETIC", "1"},
      {"STRATA_SEED", std::to_string(o.seed)},
      {"ACQUISITION_DATE", date.iso()},
      {"SPACECRAFT_NAME", "Sentinel-2A"},
      {"PROCESSING_LEVEL", l2a ? "Level-2A" : "Level-1C"},
      {"PRODUCT_TYPE", l2a ? "S2MSI2A" : "S2MSI1C"},
      {"PROCESSING_BASELINE", b04 ? "04.00" : "02.09"},
      {l2a ? "BOA_ADD_OFFSET" : "RADIO_ADD_OFFSET", offset},
      {"QUANTIFICATION_VALUE", "10000"},
      {"MEAN_SUN_ZENITH_ANGLE", fixed(atm.sun.zenith_deg, 3)},
      {"MEAN_SUN_AZIMUTH_ANGLE", fixed(atm.sun.azimuth_deg, 3)},
      {"MEAN_INCIDENCE_ZENITH_ANGLE", fixed(atm.view_zenith_at(0.5f, 1.0f), 3)},
      {"MEAN_INCIDENCE_AZIMUTH_ANGLE", fixed(atm.view_azimuth_deg, 3)},
      {"STRATA_AOT550", fixed(atm.aot550, 4)},
      {"STRATA_ANGSTROM", fixed(atm.angstrom, 3)},
      {"STRATA_WATER_VAPOUR_G_CM2", fixed(atm.water_vapour, 3)},
      {"STRATA_OZONE_ATM_CM", fixed(atm.ozone, 4)}};
  return m;
}

nlohmann::json atmosphere_json(const geo::synth::Atmosphere& a) {
  return {{"aot550", a.aot550},
          {"angstrom", a.angstrom},
          {"haze_variation", a.haze_variation},
          {"water_vapour_g_cm2", a.water_vapour},
          {"ozone_atm_cm", a.ozone},
          {"pressure_hpa", a.pressure},
          {"sun_zenith_deg", a.sun.zenith_deg},
          {"sun_azimuth_deg", a.sun.azimuth_deg},
          {"view_zenith_deg", {a.view_zenith_west, a.view_zenith_east}},
          {"view_azimuth_deg", a.view_azimuth_deg}};
}

// Renders `strip` as up to `threads` row bands, one per thread, into blocks[i] (blocks do not
// depend on how the scene is cut, so neither does the output), and returns the strip: blocks[0]
// when one thread did it all, else `whole`, the bands gathered in order.
const geo::synth::SynthBlock& render_parallel(const SynthScene& scene, const geo::Window& strip, int date, int threads,
                                              std::vector<geo::synth::SynthBlock>& blocks,
                                              geo::synth::SynthBlock& whole) {
  const int64_t rows = (strip.height + threads - 1) / threads;
  std::vector<geo::Window> parts;
  for (int64_t y = strip.y; y < strip.y + strip.height; y += rows)
    parts.push_back({strip.x, y, strip.width, std::min(rows, strip.y + strip.height - y)});
  if (parts.size() == 1) {
    scene.render(parts[0], date, blocks[0]);
    return blocks[0];
  }
  std::vector<std::exception_ptr> errors(parts.size());
  std::vector<std::thread> pool;
  for (size_t t = 0; t < parts.size(); ++t)
    pool.emplace_back([&, t] {
      try {
        scene.render(parts[t], date, blocks[t]);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);

  const auto n = static_cast<size_t>(strip.pixels());
  whole.window = strip;
  whole.bands.resize(n * geo::synth::kBands);
  whole.qa60.resize(n);
  whole.scl.resize(n);
  whole.label.resize(n);
  whole.worldcover.resize(n);
  for (size_t t = 0; t < parts.size(); ++t) {
    const auto& b = blocks[t];
    const auto off = static_cast<size_t>((parts[t].y - strip.y) * strip.width);
    const auto m = static_cast<size_t>(parts[t].pixels());
    for (size_t k = 0; k < static_cast<size_t>(geo::synth::kBands); ++k)
      std::copy_n(b.bands.begin() + static_cast<std::ptrdiff_t>(k * m), m,
                  whole.bands.begin() + static_cast<std::ptrdiff_t>(k * n + off));
    std::copy(b.qa60.begin(), b.qa60.end(), whole.qa60.begin() + static_cast<std::ptrdiff_t>(off));
    std::copy(b.scl.begin(), b.scl.end(), whole.scl.begin() + static_cast<std::ptrdiff_t>(off));
    std::copy(b.label.begin(), b.label.end(), whole.label.begin() + static_cast<std::ptrdiff_t>(off));
    std::copy(b.worldcover.begin(), b.worldcover.end(), whole.worldcover.begin() + static_cast<std::ptrdiff_t>(off));
  }
  return whole;
}

}  // namespace

SynthResult run_synth(const SynthOptions& o) {
  if (o.out_dir.empty()) throw UsageError("strata synth: --out is required");
  if (o.size < 64) throw UsageError("strata synth: --size must be at least 64");
  if (o.dates < 1) throw UsageError("strata synth: --dates must be at least 1");
  if (o.strip_rows < 1) throw UsageError("strata synth: strip rows must be positive");
  const auto t_start = std::chrono::steady_clock::now();

  geo::synth::SynthConfig config;
  config.size = o.size;
  config.dates = o.dates;
  config.seed = o.seed;
  config.fire = o.fire;
  config.flood = o.flood;
  config.start = o.start;
  config.level = o.level;
  config.spectra = geo::synth::SpectraTable::load(o.spectra.empty() ? geo::synth::SpectraTable::default_path() : o.spectra);
  SynthResult result;
  const geo::Grid grid = scene_grid(o, result.epsg);
  config.latitude_deg = geo::centre_lonlat(grid).lat;
  const SynthScene scene(std::move(config));  // validates start date before touching the disk
  check_out_dir(o);
  const bool l2a = o.level == geo::s2::Level::l2a;
  result.pixels = checked_product({o.size, o.size, o.dates});

  const std::vector<std::string> band_names = geo::s2::band_names(o.level);
  const int file_bands = static_cast<int>(band_names.size());
  geo::WriteOptions s2_opts;
  s2_opts.type = geo::DataType::u16;
  s2_opts.band_descriptions = band_names;
  s2_opts.nodata = 0;
  s2_opts.predictor = 2;
  geo::WriteOptions qa_opts = s2_opts;
  qa_opts.band_descriptions = l2a ? std::vector<std::string>{"QA60", "SCL"} : std::vector<std::string>{"QA60"};
  qa_opts.nodata.reset();
  geo::WriteOptions label_opts = label_raster_options({{"STRATA_SYNTHETIC", "1"}});
  geo::WriteOptions wc_opts = label_opts;
  wc_opts.band_descriptions = {"worldcover"};
  wc_opts.nodata = 0;
  wc_opts.color_table = worldcover_palette();
  wc_opts.metadata = {{"STRATA_SYNTHETIC", "1"}, {"LABEL_SCHEME", "worldcover"}};

  // Strips are whole rows of the files' 256-pixel tiles, so that each tile is compressed once and
  // the bytes do not depend on the strip height.
  const int64_t tile = s2_opts.block;
  const int64_t strip_rows = (o.strip_rows + tile - 1) / tile * tile;

  std::array<int64_t, kNumClasses> total{};
  int64_t total_valid = 0;
  nlohmann::json dates_json = nlohmann::json::array();
  double render_seconds = 0;
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<geo::synth::SynthBlock> blocks(static_cast<size_t>(threads));
  geo::synth::SynthBlock whole;
  std::vector<uint16_t> qa, l2a_bands;
  for (int d = 0; d < o.dates; ++d) {
    const auto& date = scene.dates()[static_cast<size_t>(d)];
    const std::string iso = date.iso();
    const std::string s2_path = (fs::path(o.out_dir) / ("S2_" + iso + ".tif")).string();
    const std::string qa_path = (fs::path(o.out_dir) / ("S2_" + iso + "_QA.tif")).string();
    const std::string label_path = (fs::path(o.out_dir) / ("labels_" + iso + ".tif")).string();
    const std::string wc_path = (fs::path(o.out_dir) / ("worldcover_" + iso + ".tif")).string();
    s2_opts.metadata = product_metadata(o, scene, d);
    qa_opts.metadata = s2_opts.metadata;
    geo::RasterWriter s2(s2_path, grid, file_bands, s2_opts);
    geo::RasterWriter qa_w(qa_path, grid, l2a ? 2 : 1, qa_opts);
    geo::RasterWriter label_w(label_path, grid, 1, label_opts);
    geo::RasterWriter wc_w(wc_path, grid, 1, wc_opts);
    std::array<int64_t, kNumClasses> counts{};
    int64_t valid = 0, opaque = 0, cirrus = 0, shadow = 0;
    for (int64_t y = 0; y < o.size; y += strip_rows) {
      const geo::Window strip{0, y, o.size, std::min(strip_rows, o.size - y)};
      const auto t0 = std::chrono::steady_clock::now();
      const geo::synth::SynthBlock& block = render_parallel(scene, strip, d, threads, blocks, whole);
      render_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // Whole strips go to the files at once: a strip covers whole tile rows, so each tile is
      // compressed once and the bytes do not depend on strip height or thread count.
      const auto n = static_cast<size_t>(strip.pixels());
      qa.resize(2 * n);
      std::copy(block.qa60.begin(), block.qa60.end(), qa.begin());
      std::copy(block.scl.begin(), block.scl.end(), qa.begin() + static_cast<std::ptrdiff_t>(n));
      if (l2a) {  // the block's B10 plane (always 0 there) is not part of an L2A product
        l2a_bands.resize(n * static_cast<size_t>(file_bands));
        const auto b10 = static_cast<std::ptrdiff_t>(10 * n);
        std::copy(block.bands.begin(), block.bands.begin() + b10, l2a_bands.begin());
        std::copy(block.bands.begin() + b10 + static_cast<std::ptrdiff_t>(n), block.bands.end(), l2a_bands.begin() + b10);
      }
      s2.write_all(strip, l2a ? l2a_bands.data() : block.bands.data());
      qa_w.write_all(strip, qa.data());
      label_w.write_all(strip, block.label.data());
      wc_w.write_all(strip, block.worldcover.data());
      for (size_t i = 0; i < n; ++i) {
        const uint8_t c = block.label[i];
        if (c == kIgnoreLabel) continue;
        ++counts[c];
        ++valid;
        opaque += (block.qa60[i] & geo::synth::kQaOpaque) != 0;
        cirrus += (block.qa60[i] & geo::synth::kQaCirrus) != 0;
        shadow += block.scl[i] == geo::synth::kSclShadow;
      }
    }
    s2.commit();
    qa_w.commit();
    label_w.commit();
    wc_w.commit();
    for (const auto& p : {s2_path, qa_path, label_path, wc_path}) result.files.push_back(p);

    nlohmann::json fractions;
    for (int c = 0; c < kNumClasses; ++c) {
      fractions[class_names()[static_cast<size_t>(c)]] =
          valid ? static_cast<double>(counts[static_cast<size_t>(c)]) / static_cast<double>(valid) : 0.0;
      total[static_cast<size_t>(c)] += counts[static_cast<size_t>(c)];
    }
    total_valid += valid;
    const double pixels = static_cast<double>(o.size) * static_cast<double>(o.size);
    const auto& sky = scene.skies()[static_cast<size_t>(d)];
    const auto share = [&](int64_t k) { return valid ? static_cast<double>(k) / static_cast<double>(valid) : 0.0; };
    dates_json.push_back({{"date", iso},
                          {"index", d},
                          {"day_of_year", date.doy},
                          {"files", {fs::path(s2_path).filename(), fs::path(qa_path).filename(),
                                     fs::path(label_path).filename(), fs::path(wc_path).filename()}},
                          {"nodata_fraction", 1.0 - static_cast<double>(valid) / pixels},
                          {"swath_edge", sky.edge},
                          {"opaque_cloud_fraction", share(opaque)},
                          {"cirrus_fraction", share(cirrus)},
                          {"cloud_shadow_fraction", share(shadow)},
                          {"atmosphere", atmosphere_json(scene.atmospheres()[static_cast<size_t>(d)])},
                          {"class_fractions", fractions}});
    log::info("synth: ", iso, " written (", d + 1, "/", o.dates, ")");
  }

  nlohmann::json overall;
  for (int c = 0; c < kNumClasses; ++c) {
    const double f = total_valid ? static_cast<double>(total[static_cast<size_t>(c)]) / static_cast<double>(total_valid) : 0.0;
    result.class_fraction[static_cast<size_t>(c)] = f;
    overall[class_names()[static_cast<size_t>(c)]] = f;
  }
  nlohmann::json j = {
      {"format", "strata-synth/1"},
      {"seed", o.seed},
      {"size", o.size},
      {"pixel_size_m", 10},
      {"epsg", result.epsg},
      {"geotransform", grid.transform},
      {"start", o.start},
      {"level", l2a ? "L2A" : "L1C"},
      {"latitude", scene.config().latitude_deg},
      {"spectra", fs::path(scene.config().spectra.path()).filename()},
      {"bands", band_names},
      {"classes", class_names()},
      {"dates", dates_json},
      {"events", {event_json(scene.fire(), scene), event_json(scene.flood(), scene)}},
      {"class_fractions", overall}};
  const std::string json_path = (fs::path(o.out_dir) / "synth.json").string();
  write_text_atomically(json_path, j.dump(2) + "\n");
  result.files.push_back(json_path);
  result.render_seconds = render_seconds;
  result.threads = threads;
  result.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return result;
}

}  // namespace strata::pipeline
