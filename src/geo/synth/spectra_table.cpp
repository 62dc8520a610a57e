#include "geo/synth/spectra_table.h"

#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"

#ifndef STRATA_DATA_DIR
#define STRATA_DATA_DIR "data"
#endif

namespace strata::geo::synth {
namespace {

// Splits one CSV line; fields may be double-quoted (the `source` column has commas).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  out.push_back(field);
  return out;
}

const char* kBandNames[kBands] = {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"};

}  // namespace

std::string SpectraTable::default_path() { return std::string(STRATA_DATA_DIR) + "/spectra/s2_class_spectra.csv"; }

SpectraTable SpectraTable::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the spectra table");
  std::string line;
  if (!std::getline(in, line)) throw Error(path + ": empty spectra table");
  const auto header = split_csv(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  auto need = [&](const std::string& name) {
    auto it = col.find(name);
    if (it == col.end()) throw Error(path + ": spectra table has no column '" + name + "'");
    return it->second;
  };
  const size_t c_id = need("class_id"), c_class = need("class"), c_variant = need("variant"), c_stat = need("stat");
  std::array<size_t, kBands> c_band{};
  for (int b = 0; b < kBands; ++b) c_band[static_cast<size_t>(b)] = need(kBandNames[b]);

  SpectraTable table;
  table.path_ = path;
  std::map<std::pair<std::string, std::string>, size_t> index;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const auto f = split_csv(line);
    const std::string where = path + ":" + std::to_string(line_no);
    if (f.size() < header.size()) throw Error(where + ": expected " + std::to_string(header.size()) + " fields");
    const auto key = std::make_pair(f[c_class], f[c_variant]);
    auto it = index.find(key);
    if (it == index.end()) {
      Signature s;
      s.class_name = f[c_class];
      s.variant = f[c_variant];
      try {
        s.class_id = std::stoi(f[c_id]);
      } catch (const std::exception&) {
        throw Error(where + ": class_id '" + f[c_id] + "' is not an integer");
      }
      s.mean.fill(-1.0f);
      s.std.fill(-1.0f);
      it = index.emplace(key, table.rows_.size()).first;
      table.rows_.push_back(s);
    }
    Signature& s = table.rows_[it->second];
    std::array<float, kBands>* dst = nullptr;
    if (f[c_stat] == "mean") dst = &s.mean;
    else if (f[c_stat] == "std") dst = &s.std;
    else throw Error(where + ": stat must be 'mean' or 'std', not '" + f[c_stat] + "'");
    for (int b = 0; b < kBands; ++b) {
      const std::string& v = f[c_band[static_cast<size_t>(b)]];
      try {
        (*dst)[static_cast<size_t>(b)] = std::stof(v);
      } catch (const std::exception&) {
        throw Error(where + ": band " + kBandNames[b] + " value '" + v + "' is not a number");
      }
      if ((*dst)[static_cast<size_t>(b)] < 0.0f) throw Error(where + ": negative value in band " + kBandNames[b]);
    }
  }
  for (const auto& s : table.rows_)
    for (int b = 0; b < kBands; ++b)
      if (s.mean[static_cast<size_t>(b)] < 0.0f || s.std[static_cast<size_t>(b)] < 0.0f)
        throw Error(path + ": " + s.class_name + "/" + s.variant + " lacks a mean or a std row");
  if (table.rows_.empty()) throw Error(path + ": spectra table has no rows");
  return table;
}

const Signature& SpectraTable::get(const std::string& class_name, const std::string& variant) const {
  for (const auto& s : rows_)
    if (s.class_name == class_name && s.variant == variant) return s;
  throw Error(path_ + ": spectra table has no row for " + class_name + "/" + variant);
}

}  // namespace strata::geo::synth
