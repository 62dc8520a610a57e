#include "pipeline/stats.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "geo/pixel_area.h"
#include "pipeline/class_raster.h"
#include "pipeline/scene_inputs.h"

namespace strata::pipeline {
ClassAreas class_areas_of(const std::string& path, const std::optional<geo::Window>& window) {
  const ClassRaster in = ClassRaster::open(path);
  ClassAreas a;
  a.input = path;
  a.date = date_in_name(path);
  const geo::Grid& g = in.grid();
  const geo::Window whole = window ? geo::intersect(*window, g.full()) : g.full();
  const int64_t rows = block_rows(std::max<int64_t>(whole.width, 1));
  std::vector<uint8_t> classes;
  for (int64_t y = whole.y; y < whole.y + whole.height; y += rows) {
    const geo::Window w{whole.x, y, whole.width, std::min(rows, whole.y + whole.height - y)};
    classes.resize(static_cast<size_t>(w.pixels()));
    in.read(w, classes.data());
    const std::vector<double> area = geo::pixel_area_m2(g, w, path);
    for (int64_t row = 0; row < w.height; ++row) {
      std::array<int64_t, kNumClasses + 1> count{};  // the last: no data
      const uint8_t* c = classes.data() + row * w.width;
      for (int64_t col = 0; col < w.width; ++col) ++count[std::min<size_t>(c[col], kNumClasses)];
      const double km2 = area[static_cast<size_t>(row)] * 1e-6;
      for (size_t k = 0; k < kNumClasses; ++k) {
        a.pixels[k] += count[k];
        a.km2[k] += static_cast<double>(count[k]) * km2;
      }
      a.nodata_pixels += count[kNumClasses];
      a.nodata_km2 += static_cast<double>(count[kNumClasses]) * km2;
    }
  }
  return a;
}

std::vector<ClassAreas> class_areas(const StatsOptions& o) {
  if (o.inputs.empty()) throw UsageError("strata stats: no --input given");
  std::vector<ClassAreas> out;
  for (const std::string& path : o.inputs) out.push_back(class_areas_of(path));
  if (!o.csv.empty()) write_text_atomically(o.csv, class_areas_csv(out));
  if (!o.json.empty()) write_text_atomically(o.json, class_areas_json(out));
  return out;
}

std::string class_areas_csv(const std::vector<ClassAreas>& areas) {
  std::string out = "input,date";
  for (const char* name : class_names()) (out += ',') += name;
  out += ",nodata\n";
  char cell[64];
  for (const ClassAreas& a : areas) {
    // A path with a comma or a quote is quoted, as RFC 4180 has it.
    if (a.input.find_first_of(",\"\n") == std::string::npos) {
      out += a.input;
    } else {
      out += '"';
      for (char ch : a.input) (ch == '"' ? out += "\"\"" : out += ch);
      out += '"';
    }
    (out += ',') += a.date;
    for (double v : a.km2) {
      std::snprintf(cell, sizeof cell, ",%.6f", v);
      out += cell;
    }
    std::snprintf(cell, sizeof cell, ",%.6f\n", a.nodata_km2);
    out += cell;
  }
  return out;
}

std::string class_areas_json(const std::vector<ClassAreas>& areas) {
  using nlohmann::json;
  json j = {{"unit", "km2"}, {"classes", class_names()}, {"inputs", json::array()}};
  for (const ClassAreas& a : areas) {
    json km2, pixels;
    for (size_t c = 0; c < kNumClasses; ++c) {
      km2[class_names()[c]] = a.km2[c];
      pixels[class_names()[c]] = a.pixels[c];
    }
    j["inputs"].push_back({{"input", a.input},
                           {"date", a.date.empty() ? json(nullptr) : json(a.date)},
                           {"km2", km2},
                           {"pixels", pixels},
                           {"nodata_km2", a.nodata_km2},
                           {"nodata_pixels", a.nodata_pixels}});
  }
  return j.dump(2) + "\n";
}

}  // namespace strata::pipeline
