#pragma once
// Where a grid lies on the ground, to tell two rasters that share no pixel apart before reading.
#include "geo/grid.h"

namespace strata::geo {

struct Bounds {
  double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

// The grid's extent in its own CRS (all four corners, so rotated grids too).
Bounds bounds(const Grid& grid);

// Longitude and latitude (WGS 84, degrees) of the grid's centre. Error for a grid without a CRS.
struct LonLat {
  double lon = 0, lat = 0;
};
LonLat centre_lonlat(const Grid& grid);

// Whether b's extent, reprojected into a's CRS (edges densified), intersects a's extent with a
// positive area. Grids without a CRS are compared as they are.
bool grids_overlap(const Grid& a, const Grid& b);

}  // namespace strata::geo
