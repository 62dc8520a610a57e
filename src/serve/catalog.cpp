#include "serve/catalog.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "geo/crs_transform.h"
#include "geo/footprint.h"
#include "geo/raster.h"
#include "pipeline/scene_inputs.h"

namespace strata::serve {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open (is this a strata predict output folder?)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

// The grid's extent in WGS 84: its edges sampled every 1/16 so a UTM grid's curved outline is
// enclosed.
LonLatBounds lon_lat_bounds(const geo::Grid& g, const std::string& path) {
  if (g.crs_wkt.empty()) throw Error(path + ": the map has no CRS; serve places maps on the globe");
  const geo::CrsTransform to_wgs84(g.crs_wkt, geo::wgs84_wkt());
  std::vector<double> xs, ys;
  constexpr int steps = 16;
  for (int i = 0; i <= steps; ++i) {
    const double f = static_cast<double>(i) / steps;
    for (auto [c, r] : {std::pair{f, 0.0}, {f, 1.0}, {0.0, f}, {1.0, f}}) {
      xs.push_back(g.x_at(c * static_cast<double>(g.width)));
      ys.push_back(g.y_at(r * static_cast<double>(g.height)));
    }
  }
  std::vector<int> ok(xs.size());
  to_wgs84.apply(xs.data(), ys.data(), xs.size(), ok.data());
  LonLatBounds b{180, 90, -180, -90};
  bool any = false;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!ok[i]) continue;
    any = true;
    b = {std::min(b.west, xs[i]), std::min(b.south, ys[i]), std::max(b.east, xs[i]), std::max(b.north, ys[i])};
  }
  if (!any) throw Error(path + ": the map's extent has no place in WGS 84");
  return b;
}

// Metres per pixel on the ground, for the zoom at which one tile pixel is one map pixel.
double pixel_metres(const geo::Grid& g, const LonLatBounds& b) {
  if (geo::crs_epsg(g.crs_wkt) == 4326 || g.pixel_size_x() < 0.01)  // degrees
    return g.pixel_size_x() * 111320.0 * std::cos((b.south + b.north) / 2 * M_PI / 180);
  return std::abs(g.pixel_size_x());
}

}  // namespace

Catalog Catalog::load(const std::vector<std::string>& folders) {
  if (folders.empty()) throw UsageError("strata serve: no --maps folder given");
  Catalog c;
  std::map<std::string, std::string> seen;  // id -> its VRT
  for (const std::string& folder : folders) {
    const std::string json_path = (fs::path(folder) / "predict.json").string();
    const nlohmann::json run = read_json(json_path);
    if (!run.contains("products") || !run["products"].is_array())
      throw Error(json_path + ": no \"products\" list (is this a strata predict output folder?)");
    for (const auto& p : run["products"]) {
      MapEntry e;
      e.folder = fs::absolute(folder).lexically_normal().string();
      e.product = p.value("name", "");
      e.vrt = (fs::path(e.folder) / p.value("vrt", e.product + ".vrt")).string();
      e.date = p.value("date", "");
      if (e.date.empty()) e.date = pipeline::date_in_name(e.product);
      e.id = e.date.empty() ? e.product : e.date;
      e.model = run.value("model", "");
      e.model_hash = run.value("model_hash", "");
      e.probabilities = run.value("probabilities", "uint8");
      if (p.contains("scenes"))
        for (const auto& s : p["scenes"]) e.scenes.push_back(s.get<std::string>());
      if (e.id.empty()) throw Error(json_path + ": a product without a name");
      std::error_code ec;
      if (e.scenes.size() == 1 && fs::is_regular_file(e.scenes.front(), ec)) e.scene = e.scenes.front();
      if (auto it = seen.find(e.id); it != seen.end())
        throw UsageError("strata serve: two maps for " + e.id + " (" + it->second + " and " + e.vrt +
                         "); serve one region per catalog");
      seen[e.id] = e.vrt;
      const geo::Raster r = geo::Raster::open(e.vrt);
      if (r.band_count() != 10)
        throw Error(e.vrt + ": " + std::to_string(r.band_count()) + " bands; a strata prediction has 10");
      e.grid = r.grid();
      e.bounds = lon_lat_bounds(e.grid, e.vrt);
      e.pixel_metres = pixel_metres(e.grid, e.bounds);
      c.entries_.push_back(std::move(e));
    }
  }
  if (c.entries_.empty()) throw Error(folders.front() + ": predict.json lists no products");
  std::sort(c.entries_.begin(), c.entries_.end(), [](const MapEntry& a, const MapEntry& b) { return a.id < b.id; });
  return c;
}

void Catalog::attach_scenes(const std::vector<std::pair<std::string, std::string>>& date_and_path) {
  for (MapEntry& e : entries_)
    for (const auto& [date, path] : date_and_path)
      if (!e.date.empty() && date == e.date) e.scene = path;
}

const MapEntry* Catalog::find(const std::string& id) const {
  for (const MapEntry& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

std::vector<const MapEntry*> Catalog::dated(const std::string& start, const std::string& end) const {
  std::vector<const MapEntry*> out;
  for (const MapEntry& e : entries_)
    if (!e.date.empty() && (start.empty() || e.date >= start) && (end.empty() || e.date <= end)) out.push_back(&e);
  return out;
}

LonLatBounds Catalog::bounds() const {
  LonLatBounds b = entries_.front().bounds;
  for (const MapEntry& e : entries_)
    b = {std::min(b.west, e.bounds.west), std::min(b.south, e.bounds.south), std::max(b.east, e.bounds.east),
         std::max(b.north, e.bounds.north)};
  return b;
}

}  // namespace strata::serve
