#include "pipeline/change.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "geo/pixel_area.h"
#include "pipeline/class_raster.h"

namespace strata::pipeline {
namespace fs = std::filesystem;
std::array<uint8_t, 4> transition_colour(int from, int to) {
  const auto& c = class_palette()[static_cast<size_t>(to)];
  auto pale = [](uint8_t v) { return static_cast<uint8_t>(v + (255 - v) * 3 / 4); };
  return from == to ? std::array<uint8_t, 4>{pale(c[0]), pale(c[1]), pale(c[2]), 255} : std::array<uint8_t, 4>{c[0], c[1], c[2], 255};
}

namespace {

geo::WriteOptions change_raster_options(const ChangeOptions& o) {
  geo::WriteOptions wo;
  wo.type = geo::DataType::u8;
  wo.cog = true;
  wo.nodata = kIgnoreLabel;
  wo.band_descriptions = {"transition"};
  wo.overview_resampling = geo::Resampling::mode;
  wo.color_table.assign(256, geo::RGBA{0, 0, 0, 0});
  for (int f = 0; f < kNumClasses; ++f)
    for (int t = 0; t < kNumClasses; ++t) {
      const auto c = transition_colour(f, t);
      wo.color_table[transition_code(f, t)] = geo::RGBA{c[0], c[1], c[2], c[3]};
    }
  wo.metadata = {{"FROM", o.from},
                 {"TO", o.to},
                 {"ENCODING", "10 * from + to, classes 0..8; 255 = no data in either map"}};
  for (int c = 0; c < kNumClasses; ++c) wo.metadata["CLASS_" + std::to_string(c)] = class_names()[static_cast<size_t>(c)];
  return wo;
}

std::string matrix_csv(const ChangeResult& r) {
  std::string out = "from\\to";
  for (const char* name : class_names()) (out += ',') += name;
  out += '\n';
  char cell[64];
  for (int f = 0; f < kNumClasses; ++f) {
    out += class_names()[static_cast<size_t>(f)];
    for (int t = 0; t < kNumClasses; ++t) {
      std::snprintf(cell, sizeof cell, ",%.6f", r.km2[static_cast<size_t>(f)][static_cast<size_t>(t)]);
      out += cell;
    }
    out += '\n';
  }
  return out;
}

std::string result_json(const ChangeResult& r, const ChangeOptions& o, const geo::Grid& g) {
  nlohmann::json j = change_counts_json(r);
  j["from"] = o.from;
  j["to"] = o.to;
  j["grid"] = {{"width", g.width}, {"height", g.height}, {"epsg", geo::crs_epsg(g.crs_wkt)}};
  j["encoding"] = "10 * from + to, classes 0..8; 255 = no data in either map";
  j["min_area_ha"] = o.min_area_ha;
  return j.dump(2) + "\n";
}

// Counts one block of classes into r; `from` becomes the block's transition codes.
void count_block(const std::vector<double>& area, const geo::Window& w, std::vector<uint8_t>& from,
                 const std::vector<uint8_t>& to, ChangeResult& r) {
  for (int64_t row = 0; row < w.height; ++row) {
    const double km2 = area[static_cast<size_t>(row)] * 1e-6;
    for (int64_t col = 0; col < w.width; ++col) {
      const size_t i = static_cast<size_t>(row * w.width + col);
      if (from[i] == kIgnoreLabel || to[i] == kIgnoreLabel) {
        from[i] = kIgnoreLabel;
        r.nodata_km2 += km2;
        continue;
      }
      ++r.pixels[from[i]][to[i]];
      r.km2[from[i]][to[i]] += km2;
      from[i] = transition_code(from[i], to[i]);
    }
  }
}

// Totals and the sorted list of changes, once every block is counted.
void finish(ChangeResult& r, double min_area_ha) {
  for (int f = 0; f < kNumClasses; ++f)
    for (int t = 0; t < kNumClasses; ++t) {
      const double km2 = r.km2[static_cast<size_t>(f)][static_cast<size_t>(t)];
      (f == t ? r.unchanged_km2 : r.changed_km2) += km2;
      const int64_t px = r.pixels[static_cast<size_t>(f)][static_cast<size_t>(t)];
      if (f != t && px > 0 && km2 * 100 >= min_area_ha) r.changes.push_back({f, t, px, km2});
    }
  std::stable_sort(r.changes.begin(), r.changes.end(), [](const Transition& x, const Transition& y) { return x.km2 > y.km2; });
}

// Reads A and B block by block over `whole` (a window of A's grid), counts, and hands each block
// of codes to `sink`.
template <class Sink>
void scan(const ClassRaster& a, const ClassRaster& b, const geo::Window& whole, ChangeResult& r, Sink sink) {
  const geo::Grid& g = a.grid();
  const int64_t rows = block_rows(std::max<int64_t>(whole.width, 1));
  std::vector<uint8_t> from, to;
  for (int64_t y = whole.y; y < whole.y + whole.height; y += rows) {
    const geo::Window w{whole.x, y, whole.width, std::min(rows, whole.y + whole.height - y)};
    from.resize(static_cast<size_t>(w.pixels()));
    to.resize(from.size());
    a.read(w, from.data());
    b.read_onto(g, w, to.data());
    count_block(geo::pixel_area_m2(g, w, a.path()), w, from, to, r);
    sink(w, from);
  }
}

}  // namespace

nlohmann::json change_counts_json(const ChangeResult& r) {
  nlohmann::json transitions = nlohmann::json::array();
  for (const Transition& t : r.changes)
    transitions.push_back({{"from", class_names()[static_cast<size_t>(t.from)]},
                           {"to", class_names()[static_cast<size_t>(t.to)]},
                           {"km2", t.km2},
                           {"ha", t.km2 * 100},
                           {"pixels", t.pixels}});
  return {{"classes", class_names()},
          {"unit", "km2"},
          {"matrix_km2", r.km2},
          {"matrix_pixels", r.pixels},
          {"changed_km2", r.changed_km2},
          {"unchanged_km2", r.unchanged_km2},
          {"nodata_km2", r.nodata_km2},
          {"transitions", transitions}};
}

ChangeResult detect_change(const ChangeOptions& o) {
  const ClassRaster a = ClassRaster::open(o.from);
  const ClassRaster b = ClassRaster::open(o.to);
  require_overlap(a.raster(), b.raster());
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec || !fs::is_directory(o.out_dir, ec))
    throw Error(o.out_dir + ": cannot create the output folder" + (ec ? ": " + ec.message() : ""));

  ChangeResult r;
  r.raster = (fs::path(o.out_dir) / "change.tif").string();
  r.csv = (fs::path(o.out_dir) / "transitions.csv").string();
  r.json = (fs::path(o.out_dir) / "transitions.json").string();
  const geo::Grid& g = a.grid();
  geo::RasterWriter out(r.raster, g, 1, change_raster_options(o));
  scan(a, b, g.full(), r, [&](const geo::Window& w, const std::vector<uint8_t>& codes) { out.write({0}, w, codes.data()); });
  finish(r, o.min_area_ha);

  out.commit();
  write_text_atomically(r.csv, matrix_csv(r));
  write_text_atomically(r.json, result_json(r, o, g));
  return r;
}

ChangeResult change_matrix(const std::string& from, const std::string& to, double min_area_ha,
                           const std::optional<geo::Window>& window) {
  const ClassRaster a = ClassRaster::open(from);
  const ClassRaster b = ClassRaster::open(to);
  require_overlap(a.raster(), b.raster());
  ChangeResult r;
  const geo::Window whole = window ? geo::intersect(*window, a.grid().full()) : a.grid().full();
  scan(a, b, whole, r, [](const geo::Window&, const std::vector<uint8_t>&) {});
  finish(r, min_area_ha);
  return r;
}

}  // namespace strata::pipeline
