#include "pipeline/stac.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "geo/scene.h"
#include "geo/sentinel2.h"
#include "geo/vrt.h"

namespace strata::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// An asset's band: from eo:bands (name, then common_name), else from the asset key
// (earth-search uses common names: "blue", "nir08", "scl"; others use "B02").
std::string asset_band(const std::string& key, const json& asset) {
  auto try_name = [](const std::string& n) -> std::string {
    if (geo::is_aux_band(n)) return geo::aux_name(n);
    if (auto i = geo::s2::band_index(n)) return geo::s2::all_bands()[static_cast<size_t>(*i)].name;
    return "";
  };
  if (asset.contains("eo:bands") && asset["eo:bands"].is_array() && asset["eo:bands"].size() == 1) {
    const json& b = asset["eo:bands"][0];
    for (const char* field : {"name", "common_name"})
      if (b.contains(field) && b[field].is_string())
        if (auto n = try_name(b[field].get<std::string>()); !n.empty()) return n;
  }
  return try_name(key);
}

std::string gdal_href(const std::string& href, const fs::path& base) {
  if (href.rfind("http://", 0) == 0 || href.rfind("https://", 0) == 0) return "/vsicurl/" + href;
  if (href.rfind("s3://", 0) == 0) return "/vsis3/" + href.substr(5);
  if (href.rfind("file://", 0) == 0) return href.substr(7);
  if (!href.empty() && href[0] == '/') return href;
  return (base / href).lexically_normal().string();
}

}  // namespace

std::vector<SceneInput> resolve_stac(const std::string& json_path, const std::string& work_dir) {
  std::ifstream in(json_path);
  if (!in) throw Error(json_path + ": cannot read");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(json_path + ": not valid JSON: " + e.what());
  }
  std::vector<json> items;
  const std::string type = doc.value("type", "");
  if (type == "FeatureCollection" && doc.contains("features") && doc["features"].is_array()) {
    for (const auto& f : doc["features"]) items.push_back(f);
  } else if (type == "Feature") {
    items.push_back(doc);
  } else {
    throw Error(json_path + ": not a STAC Item or ItemCollection (\"type\" is neither Feature nor FeatureCollection)");
  }
  const fs::path base = fs::path(json_path).parent_path();
  fs::create_directories(work_dir);
  std::vector<SceneInput> out;
  for (const json& item : items) {
    const std::string id = item.value("id", "");
    if (id.empty() || id.find('/') != std::string::npos) throw Error(json_path + ": an item has no usable \"id\"");
    const json props = item.value("properties", json::object());
    std::string datetime = props.contains("datetime") && props["datetime"].is_string() ? props["datetime"].get<std::string>()
                                                                                       : props.value("start_datetime", "");
    if (!item.contains("assets") || !item["assets"].is_object()) throw Error(json_path + ": item " + id + " has no assets");

    // Canonical band -> href; the first asset for a band wins (earth-search lists COGs before JP2s).
    std::map<int, std::pair<std::string, std::string>> spectral;  // band index -> (name, href)
    std::map<std::string, std::string> aux;
    for (const auto& [key, asset] : item["assets"].items()) {
      if (!asset.contains("href") || !asset["href"].is_string()) continue;
      const std::string band = asset_band(key, asset);
      if (band.empty()) continue;
      const std::string href = gdal_href(asset["href"].get<std::string>(), base);
      if (geo::is_aux_band(band)) aux.emplace(band, href);
      else spectral.emplace(*geo::s2::band_index(band), std::make_pair(band, href));
    }
    if (spectral.empty()) throw Error(json_path + ": item " + id + " has no Sentinel-2 band assets");

    geo::VrtStack stack;
    for (const auto& [idx, nh] : spectral) stack.bands.push_back({nh.second, nh.first, geo::Resampling::bilinear});
    for (const auto& [name, href] : aux) stack.bands.push_back({href, name, geo::Resampling::nearest});
    if (!datetime.empty()) stack.metadata["datetime"] = datetime;
    if (props.contains("s2:processing_baseline") && props["s2:processing_baseline"].is_string())
      stack.metadata["PROCESSING_BASELINE"] = props["s2:processing_baseline"].get<std::string>();
    const std::string vrt = (fs::path(work_dir) / (id + ".vrt")).string();
    geo::build_band_stack_vrt(vrt, stack);

    SceneInput s;
    s.path = vrt;
    s.id = id;
    s.date = datetime.size() >= 10 ? datetime.substr(0, 10) : "";
    out.push_back(s);
  }
  log::info(json_path, ": ", out.size(), " STAC item(s)");
  return out;
}

}  // namespace strata::pipeline
