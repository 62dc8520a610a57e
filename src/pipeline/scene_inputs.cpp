#include "pipeline/scene_inputs.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "geo/raster.h"
#include "pipeline/stac.h"

namespace strata::pipeline {
namespace fs = std::filesystem;

namespace {

bool is_qa_sibling(const std::string& path) {
  const std::string stem = fs::path(path).stem().string();
  return stem.size() > 3 && stem.compare(stem.size() - 3, 3, "_QA") == 0;
}

bool is_raster_name(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".tif" || ext == ".tiff" || ext == ".vrt" || ext == ".jp2";
}

SceneInput make_input(const std::string& path) {
  SceneInput s;
  s.path = path;
  s.id = fs::path(path).stem().string();
  if (path.rfind("/vsi", 0) != 0) {
    const fs::path qa = fs::path(path).parent_path() / (s.id + "_QA.tif");
    if (fs::exists(qa)) s.qa_path = qa.string();
  }
  s.date = scene_date(path);
  return s;
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) throw Error(pattern + ": cannot expand the pattern");
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> list_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read the scene list");
  const fs::path base = fs::path(path).parent_path();
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    line.erase(0, line.find_first_not_of(" \t"));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // Relative entries are relative to the list, as users expect when they move both together.
    if (line[0] != '/' && line.find("://") == std::string::npos) line = (base / line).string();
    out.push_back(line);
  }
  return out;
}

}  // namespace

std::vector<SceneInput> resolve_scenes(const std::vector<std::string>& specs, const std::string& work_dir) {
  std::vector<SceneInput> out;
  for (const std::string& spec : specs) {
    std::string ext = fs::path(spec).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    std::vector<SceneInput> found;
    if (ext == ".json") {
      found = resolve_stac(spec, work_dir);
    } else if (ext == ".txt" || ext == ".lst") {
      for (const auto& p : list_file(spec)) found.push_back(make_input(p));
    } else if (fs::is_directory(spec)) {
      for (const auto& e : fs::directory_iterator(spec))
        if (e.is_regular_file() && is_raster_name(e.path().string()) && !is_qa_sibling(e.path().string()))
          found.push_back(make_input(e.path().string()));
      std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    } else if (spec.find_first_of("*?[") != std::string::npos) {
      for (const auto& p : glob_paths(spec))
        if (!is_qa_sibling(p)) found.push_back(make_input(p));
    } else {
      found.push_back(make_input(spec));  // one scene; opening it reports a missing file
    }
    if (found.empty()) throw Error(spec + ": matches no scenes");
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string scene_date(const std::string& path) {
  static const std::regex iso(R"((19|20)\d\d-[01]\d-[0-3]\d)");
  static const std::regex tiff_datetime(R"((19|20)\d\d:[01]\d:[0-3]\d)");
  std::smatch m;
  if (fs::exists(path) || path.rfind("/vsi", 0) == 0) {
    try {
      const geo::Raster r = geo::Raster::open(path);
      for (const char* key : {"ACQUISITION_DATE", "ACQUISITION_DATETIME", "DATATAKE_1_DATATAKE_SENSING_START",
                              "SENSING_TIME", "PRODUCT_START_TIME", "datetime", "DATETIME", "PERIOD_START"}) {
        const std::string v = r.metadata_item(key);
        if (std::regex_search(v, m, iso)) return m.str();
      }
      const std::string t = r.metadata_item("TIFFTAG_DATETIME");
      if (std::regex_search(t, m, tiff_datetime)) {
        std::string d = m.str();
        std::replace(d.begin(), d.end(), ':', '-');
        return d;
      }
    } catch (const Error&) {
      // Unreadable here: the caller's open reports it with the reason.
    }
  }
  return date_in_name(path);
}

std::string date_in_name(const std::string& path) {
  static const std::regex iso(R"((19|20)\d\d-[01]\d-[0-3]\d)");
  static const std::regex compact(R"((19|20)\d\d[01]\d[0-3]\d)");
  std::smatch m;
  const std::string name = fs::path(path).filename().string();
  if (std::regex_search(name, m, iso)) return m.str();
  if (std::regex_search(name, m, compact)) {
    const std::string d = m.str();
    return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
  }
  return "";
}

void check_date(const std::string& date, const std::string& what) {
  static const std::regex iso(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  if (!std::regex_match(date, iso)) throw UsageError(what + " must be a date YYYY-MM-DD, not '" + date + "'");
}

std::vector<SceneInput> filter_by_date(const std::vector<SceneInput>& scenes, const std::string& start,
                                       const std::string& end) {
  if (start.empty() && end.empty()) return scenes;
  std::vector<SceneInput> out;
  for (const auto& s : scenes) {
    if (s.date.empty())
      throw Error(s.path + ": no acquisition date in its metadata or name, so --start/--end cannot select it");
    if ((start.empty() || s.date >= start) && (end.empty() || s.date <= end)) out.push_back(s);
  }
  return out;
}

}  // namespace strata::pipeline
