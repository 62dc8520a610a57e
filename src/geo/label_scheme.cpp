#include "geo/label_scheme.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/classes.h"
#include "core/error.h"

namespace strata::geo {

std::string data_dir() {
  if (const char* env = std::getenv("STRATA_DATA_DIR"); env && *env) return env;
  return STRATA_DATA_DIR;
}

LabelScheme LabelScheme::load(const std::string& name_or_path) {
  std::string path = name_or_path;
  if (name_or_path.find('/') == std::string::npos && name_or_path.find('.') == std::string::npos)
    path = data_dir() + "/label-schemes/" + name_or_path + ".csv";
  std::ifstream in(path);
  if (!in) {
    if (path != name_or_path)
      throw UsageError("unknown label scheme '" + name_or_path + "' (no " + path + "); use worldcover, identity or a CSV file");
    throw Error(path + ": cannot read label scheme");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

LabelScheme LabelScheme::parse(const std::string& csv_text, const std::string& source) {
  LabelScheme s;
  s.source_ = source;
  s.lut_.fill(kIgnoreLabel);
  std::istringstream lines(csv_text);
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string code_s, cls;
    std::getline(fields, code_s, ',');
    std::getline(fields, cls, ',');
    if (!header_seen) {
      header_seen = true;
      if (code_s == "code") continue;
    }
    const std::string where = source + ":" + std::to_string(line_no);
    char* end = nullptr;
    const long code = std::strtol(code_s.c_str(), &end, 10);
    if (code_s.empty() || *end != '\0' || code < 0 || code > 255)
      throw Error(where + ": label code '" + code_s + "' is not an integer in 0..255");
    if (s.known_[static_cast<size_t>(code)]) throw Error(where + ": code " + code_s + " is listed twice");
    if (cls == "ignore") {
      s.lut_[static_cast<size_t>(code)] = kIgnoreLabel;
    } else if (auto idx = class_index(cls)) {
      s.lut_[static_cast<size_t>(code)] = static_cast<uint8_t>(*idx);
    } else {
      throw Error(where + ": '" + cls + "' is not a Dynamic World class (water, trees, grass, flooded_vegetation, "
                                        "crops, shrub_and_scrub, built, bare, snow_and_ice) or 'ignore'");
    }
    s.known_[static_cast<size_t>(code)] = true;
  }
  if (!header_seen) throw Error(source + ": label scheme has no rows");
  return s;
}

void LabelScheme::apply(const uint8_t* in, uint8_t* out, int64_t n, const std::string& label_path, int nodata) const {
  int64_t unknown = 0;
  int first_unknown = -1;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t c = in[i];
    if (c == nodata) {
      out[i] = 255;
      continue;
    }
    if (!known_[c]) {
      if (first_unknown < 0) first_unknown = c;
      ++unknown;
    }
    out[i] = lut_[c];
  }
  if (unknown > 0)
    throw Error(label_path + ": label code " + std::to_string(first_unknown) + " is not in the label scheme " + source_ +
                " (" + std::to_string(unknown) + " pixel(s) with unknown codes); choose another --label-scheme");
}

}  // namespace strata::geo
