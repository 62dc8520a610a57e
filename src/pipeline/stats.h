#pragma once
// `strata stats`: area per class (km2) of land-cover maps (predictions or label rasters), one
// row per input with the date from its file name, and the area without data. Areas come from
// geo::pixel_area_m2. CSV: input,date,water,...,snow_and_ice,nodata (km2, header first).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/classes.h"
#include "geo/grid.h"

namespace strata::pipeline {

struct StatsOptions {
  std::vector<std::string> inputs;
  std::string csv, json;  // written when not empty
};

struct ClassAreas {
  std::string input, date;  // date: YYYY-MM-DD from the file name, or ""
  std::array<int64_t, kNumClasses> pixels{};
  std::array<double, kNumClasses> km2{};
  int64_t nodata_pixels = 0;
  double nodata_km2 = 0;
};

std::vector<ClassAreas> class_areas(const StatsOptions& options);

// One map's areas, over its whole grid or over `window` of it (clipped to the grid): what
// class_areas counts per input, and what `strata serve`'s statistics for a box count.
ClassAreas class_areas_of(const std::string& path, const std::optional<geo::Window>& window = std::nullopt);

std::string class_areas_csv(const std::vector<ClassAreas>& areas);
std::string class_areas_json(const std::vector<ClassAreas>& areas);

}  // namespace strata::pipeline
