#pragma once
// Clouds, cirrus, cloud shadows and swath edges of one acquisition date. Cloud and cirrus
// opacity are fBm fields (sampled on the same kLattice grid as the landscape) thresholded to a
// per-date coverage; shadows are the cloud field displaced by the sun-angle offset.
#include <cstdint>
#include <vector>

#include "geo/grid.h"
#include "geo/synth/calendar.h"

namespace strata::geo::synth {

struct Sky {
  float cloud_cover = 0;      // target fraction of opaque-ish cloud, 0 = clear date
  float cloud_threshold = 2;  // fBm level where cloud starts (> 1: no cloud)
  float cirrus_amount = 0;    // peak cirrus opacity, 0 = none
  float cirrus_threshold = 2;
  int64_t shadow_dx = 0, shadow_dy = 0;  // a shadow at (x, y) is cast by the cloud at (x+dx, y+dy)
  // Swath edge: pixels beyond the line x = edge_x0 + edge_slope * y (on the side edge_right) are nodata.
  bool edge = false, edge_right = true;
  double edge_x0 = 0, edge_slope = 0;
  uint64_t cloud_seed = 0, cirrus_seed = 0;

  bool nodata(int64_t x, int64_t y) const {
    if (!edge) return false;
    const double line = edge_x0 + edge_slope * static_cast<double>(y);
    return edge_right ? static_cast<double>(x) >= line : static_cast<double>(x) < line;
  }
};

// The sky of every date, from the seed: the cloud kind cycles clear / light / heavy with a random
// phase so that every series of 3+ dates has a clear and a cloudy date; at least one date after
// the first has a swath edge when there are 2+ dates.
std::vector<Sky> make_skies(uint64_t seed, const std::vector<Date>& dates, int64_t scene_size);

// Per-pixel opacity of one date over a window: cloud (0..1), cirrus (0..1), shadow (0..1).
struct SkyLayers {
  std::vector<float> cloud, cirrus, shadow;
};
void sky_layers(const Sky& sky, const Window& window, SkyLayers& out);

}  // namespace strata::geo::synth
