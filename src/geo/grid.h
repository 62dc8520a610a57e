#pragma once
// Georeferenced pixel grids and windows on them. No GDAL here: plain geometry.
#include <array>
#include <cstdint>
#include <string>

namespace strata::geo {

// A pixel window: column x, row y, width, height (pixels of some grid).
struct Window {
  int64_t x = 0, y = 0, width = 0, height = 0;
  int64_t pixels() const;  // checked width * height
  bool operator==(const Window&) const = default;
};

// The intersection of two windows; width/height 0 when they do not overlap.
Window intersect(const Window& a, const Window& b);

struct Grid {
  int64_t width = 0, height = 0;
  // GDAL order: x0, pixel width, row rotation, y0, column rotation, pixel height (negative for north-up).
  std::array<double, 6> transform{0.0, 1.0, 0.0, 0.0, 0.0, -1.0};
  std::string crs_wkt;  // empty when the raster has no CRS

  double pixel_size_x() const { return transform[1]; }
  double pixel_size_y() const { return -transform[5]; }  // positive for north-up
  bool north_up() const { return transform[2] == 0.0 && transform[4] == 0.0 && transform[5] < 0.0; }
  Window full() const { return {0, 0, width, height}; }
  // Map coordinates of a pixel corner (col, row may be fractional).
  double x_at(double col) const { return transform[0] + col * transform[1]; }
  double y_at(double row) const { return transform[3] + row * transform[5]; }
  // The sub-grid covering `w`, same CRS and resolution.
  Grid sub(const Window& w) const;
};

}  // namespace strata::geo
