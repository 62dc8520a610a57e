#pragma once
// The ground area of a grid's pixels, for areas per class and transition matrices. A projected
// CRS: the pixel's area in the map plane (metres from the CRS's linear unit; the projection's
// own scale error, under 0.2 % in area within a UTM zone, is not corrected). A geographic CRS: the true
// area on the ellipsoid of each row's pixels, which shrinks towards the poles.
#include <cstdint>
#include <string>
#include <vector>

#include "geo/grid.h"

namespace strata::geo {

// Square metres of one pixel in each row y of `window` (window.height values). Error for a grid
// without a CRS (areas would be in unknown units) and for a rotated geographic grid.
std::vector<double> pixel_area_m2(const Grid& grid, const Window& window, const std::string& path);

}  // namespace strata::geo
