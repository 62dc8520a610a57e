#include "geo/scene.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/error.h"
#include "core/log.h"
#include "geo/sentinel2.h"

namespace strata::geo {

Harmonize parse_harmonize(const std::string& s) {
  if (s == "auto") return Harmonize::auto_detect;
  if (s == "yes" || s == "true" || s == "on") return Harmonize::yes;
  if (s == "no" || s == "false" || s == "off") return Harmonize::no;
  throw UsageError("--harmonize must be auto, yes or no, not '" + s + "'");
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Baseline and offset keys as written by ESA's SAFE metadata, GDAL's SENTINEL2 driver and STAC.
struct BaselineEvidence {
  std::string baseline;
  std::optional<double> add_offset;
};

BaselineEvidence find_baseline(const Raster& r) {
  BaselineEvidence e;
  for (const auto& [key, value] : r.metadata()) {
    const std::string k = lower(key);
    if (k == "processing_baseline" || k == "s2:processing_baseline" || k == "processingbaseline") e.baseline = value;
    if (k == "boa_add_offset" || k == "radio_add_offset" || k == "boa_add_offset_b2")
      e.add_offset = std::strtod(value.c_str(), nullptr);
  }
  return e;
}

}  // namespace

bool is_aux_band(const std::string& name) {
  const std::string n = lower(name);
  return n == "qa60" || n == "scl";
}

std::string aux_name(const std::string& name) { return lower(name) == "qa60" ? "QA60" : "SCL"; }

Scene Scene::open(const std::string& path, const SceneOptions& options) {
  Scene s(Raster::open(path));
  const int n = s.raster_.band_count();

  // Band names in file order: from the descriptions when every band has a recognisable one,
  // else from --bands. QA60 and SCL are auxiliary bands, kept apart from the spectral ones.
  std::vector<std::string> names;
  for (int b = 0; b < n; ++b) {
    const std::string d = s.raster_.band_description(b);
    if (is_aux_band(d)) names.push_back(aux_name(d));
    else if (auto idx = s2::band_index(d)) names.emplace_back(s2::all_bands()[static_cast<size_t>(*idx)].name);
    else break;
  }
  if (static_cast<int>(names.size()) != n) {
    if (options.bands.empty())
      throw Error(path + ": band descriptions do not name Sentinel-2 bands; pass the file's band order with --bands "
                         "(e.g. --bands B2,B3,B4,B8)");
    if (static_cast<int>(options.bands.size()) != n)
      throw Error(path + ": has " + std::to_string(n) + " bands but --bands lists " + std::to_string(options.bands.size()));
    names.clear();
    for (const auto& b : options.bands) names.push_back(is_aux_band(b) ? aux_name(b) : s2::canonical_name(b));
  }
  for (int b = 0; b < n; ++b) {
    const std::string& name = names[static_cast<size_t>(b)];
    for (int j = 0; j < b; ++j)
      if (names[static_cast<size_t>(j)] == name) throw Error(path + ": band " + name + " appears twice");
    if (is_aux_band(name)) {
      s.aux_[name] = b;
    } else {
      s.band_names_.push_back(name);
      s.band_index_.push_back(b);
    }
  }
  if (s.band_names_.empty()) throw Error(path + ": has no Sentinel-2 reflectance bands");

  for (int b : s.band_index_) {
    const DataType t = s.raster_.band_type(b);
    if (t != DataType::u16 && t != DataType::i16)
      throw Error(path + ": band " + std::to_string(b + 1) + " is " + data_type_name(t) +
                  "; Sentinel-2 DN are 16-bit integers (reflectance x 10000)");
  }
  s.nodata_ = s.raster_.nodata(s.band_index_.front());

  const BaselineEvidence ev = find_baseline(s.raster_);
  s.baseline_ = ev.baseline;
  switch (options.harmonize) {
    case Harmonize::yes: s.harmonize_ = true; break;
    case Harmonize::no: s.harmonize_ = false; break;
    case Harmonize::auto_detect:
      if (ev.add_offset) {
        s.harmonize_ = *ev.add_offset <= -999.0;
      } else if (!ev.baseline.empty()) {
        s.harmonize_ = std::strtod(ev.baseline.c_str(), nullptr) >= 4.0;
      } else {
        log::warn(path, ": no processing baseline in the metadata; assuming DN without the +1000 offset of "
                        "baseline 04.00 (use --harmonize yes|no to decide)");
      }
  }
  if (s.harmonize_)
    log::info(path, ": harmonising baseline ", ev.baseline.empty() ? "(forced)" : ev.baseline,
              " DN: subtracting the +1000 offset");
  return s;
}

int Scene::aux_band(const std::string& name) const {
  auto it = aux_.find(aux_name(name));
  return it == aux_.end() ? -1 : it->second;
}

std::string Scene::processing_level() const {
  for (const auto& [key, value] : raster_.metadata()) {
    std::string k = key, v = value;
    for (char& c : k) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (k.find("PROCESSING_LEVEL") == std::string::npos && k != "S2:PROCESSING_LEVEL") continue;
    if (v.find("L2A") != std::string::npos || v.find("LEVEL-2A") != std::string::npos) return "L2A";
    if (v.find("L1C") != std::string::npos || v.find("LEVEL-1C") != std::string::npos) return "L1C";
  }
  if (aux_.count("SCL")) return "L2A";
  if (has_band("B10")) return "L1C";
  if (has_band("B11")) return "L2A";
  return "";
}

bool Scene::has_band(const std::string& name) const {
  auto idx = s2::band_index(name);
  if (!idx) return false;
  const std::string canonical = s2::all_bands()[static_cast<size_t>(*idx)].name;
  return std::find(band_names_.begin(), band_names_.end(), canonical) != band_names_.end();
}

std::vector<int> Scene::file_bands(const std::vector<std::string>& bands) const {
  std::vector<int> index;
  for (const auto& name : bands) {
    const std::string canonical = s2::canonical_name(name);
    auto it = std::find(band_names_.begin(), band_names_.end(), canonical);
    if (it == band_names_.end()) throw Error(path() + ": has no band " + canonical);
    index.push_back(band_index_[static_cast<size_t>(it - band_names_.begin())]);
  }
  return index;
}

TensorU16 Scene::read(const std::vector<std::string>& bands, const Window& window) const {
  const std::vector<int> index = file_bands(bands);
  TensorU16 out(Shape{static_cast<int64_t>(bands.size()), window.height, window.width});
  raster_.read(index, window, out.data());
  if (harmonize_) {
    const bool has_nodata = nodata_.has_value();
    const uint16_t nd = has_nodata ? static_cast<uint16_t>(*nodata_) : 0;
    for (auto& v : out.vec())
      if (!(has_nodata && v == nd)) v = s2::harmonize_dn(v);
  }
  return out;
}

}  // namespace strata::geo
