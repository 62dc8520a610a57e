#pragma once
// `strata change`: what became what between two land-cover maps (predictions or label rasters).
// B is read onto A's grid (nearest). Writes, in the output folder:
//   change.tif        uint8 COG, code = 10 * from + to (so 17 is trees -> bare, 11 trees that
//                     stayed trees), 255 where either map has no data; a colour table shows a
//                     changed pixel in its new class's colour and an unchanged one in a pale
//                     tint of its class
//   transitions.csv   the 9 x 9 matrix in km2, rows "from", columns "to"
//   transitions.json  the matrix in km2 and pixels, totals, and the changes sorted by area
// Areas come from geo::pixel_area_m2 (true areas row by row in a geographic CRS).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <nlohmann/json_fwd.hpp>

#include "core/classes.h"
#include "geo/grid.h"

namespace strata::pipeline {

constexpr uint8_t transition_code(int from, int to) { return static_cast<uint8_t>(10 * from + to); }

// The colour change.tif's colour table gives a transition (RGBA): a changed pixel in its new
// class's colour, an unchanged one in a pale tint of its class.
std::array<uint8_t, 4> transition_colour(int from, int to);

struct ChangeOptions {
  std::string from, to, out_dir;
  double min_area_ha = 0;  // transitions smaller than this are left out of `changes`
};

struct Transition {
  int from = 0, to = 0;
  int64_t pixels = 0;
  double km2 = 0;
};

struct ChangeResult {
  std::array<std::array<int64_t, kNumClasses>, kNumClasses> pixels{};  // [from][to]
  std::array<std::array<double, kNumClasses>, kNumClasses> km2{};
  double changed_km2 = 0, unchanged_km2 = 0, nodata_km2 = 0;
  std::vector<Transition> changes;  // from != to, at least min_area_ha, largest first
  std::string raster, csv, json;    // the files written
};

ChangeResult detect_change(const ChangeOptions& options);

// The counts as JSON, as transitions.json and `strata serve`'s /api/v1/change give them: classes,
// unit, matrix_km2, matrix_pixels, changed/unchanged/nodata km2 and the transitions (from, to,
// km2, ha, pixels), largest first.
nlohmann::json change_counts_json(const ChangeResult& r);

// The same counts as detect_change over `window` of A's grid (clipped to it; the whole grid by
// default), without writing anything: `strata serve`'s change scorecard for a box. The file
// names in the result stay empty.
ChangeResult change_matrix(const std::string& from, const std::string& to, double min_area_ha = 0,
                           const std::optional<geo::Window>& window = std::nullopt);

}  // namespace strata::pipeline
