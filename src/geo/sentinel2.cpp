#include "geo/sentinel2.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace strata::geo::s2 {

const std::vector<Band>& all_bands() {
  // Central wavelengths and bandwidths of Sentinel-2A (ESA, S2 MSI spectral response v3.0).
  static const std::vector<Band> bands = {
      {"B1", 442.7, 21, 60, "coastal"},  {"B2", 492.4, 66, 10, "blue"},     {"B3", 559.8, 36, 10, "green"},
      {"B4", 664.6, 31, 10, "red"},      {"B5", 704.1, 15, 20, "rededge1"}, {"B6", 740.5, 15, 20, "rededge2"},
      {"B7", 782.8, 20, 20, "rededge3"}, {"B8", 832.8, 106, 10, "nir"},     {"B8A", 864.7, 21, 20, "nir08"},
      {"B9", 945.1, 20, 60, "nir09"},    {"B10", 1373.5, 31, 60, "cirrus"}, {"B11", 1613.7, 91, 20, "swir16"},
      {"B12", 2202.4, 175, 20, "swir22"},
  };
  return bands;
}

std::vector<std::string> band_names(Level level) {
  std::vector<std::string> out;
  for (const Band& b : all_bands())
    if (!(level == Level::l2a && std::string(b.name) == "B10")) out.emplace_back(b.name);
  return out;
}

std::optional<int> band_index(const std::string& raw) {
  std::string s;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c))) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto& bands = all_bands();
  for (size_t i = 0; i < bands.size(); ++i) {
    std::string common = bands[i].common_name;
    std::transform(common.begin(), common.end(), common.begin(), [](unsigned char c) { return std::toupper(c); });
    if (s == common) return static_cast<int>(i);
  }
  // "B02", "B2", "B8A", "B08A", "BAND2" -> canonical "B2" / "B8A".
  if (s.rfind("BAND", 0) == 0) s.erase(1, 3);
  if (s.size() < 2 || s[0] != 'B') return std::nullopt;
  std::string digits = s.substr(1);
  const bool a_suffix = digits.back() == 'A';
  if (a_suffix) digits.pop_back();
  if (digits.empty() || digits.size() > 2 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  std::string canonical(1, 'B');
  canonical += std::to_string(std::stoi(digits));
  if (a_suffix) canonical += 'A';
  for (size_t i = 0; i < bands.size(); ++i)
    if (canonical == bands[i].name) return static_cast<int>(i);
  return std::nullopt;
}

const Band& band(const std::string& name) {
  auto i = band_index(name);
  if (!i) throw Error("'" + name + "' is not a Sentinel-2 band name (expected B1..B12, B8A)");
  return all_bands()[static_cast<size_t>(*i)];
}

std::string canonical_name(const std::string& name) { return band(name).name; }

}  // namespace strata::geo::s2
