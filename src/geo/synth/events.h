#pragma once
// Land-cover change events: a wildfire in a forest and a river flood over farmland. Placed from
// the seed by scanning a coarse grid of the landscape, so a scene knows its events up front and
// every block applies them the same way.
#include <cstdint>
#include <string>
#include <vector>

#include "geo/grid.h"
#include "geo/synth/calendar.h"
#include "geo/synth/landscape.h"
#include "geo/synth/phenology.h"

namespace strata::geo::synth {

struct Event {
  std::string kind;          // "fire" or "flood"
  bool active = false;
  int first_date = 0;        // index of the first affected date
  int last_date = 0;         // last date of the flood; the last date of the series for a fire
  int64_t cx = 0, cy = 0;    // centre, pixels
  float radius = 0;          // nominal radius, pixels
  Window bbox;               // pixels that the event changes, over all its dates
  uint64_t seed = 0;
};

// Whether (x, y) with land cell `c` lies in the event's footprint (date-independent).
bool in_fire(const Event& fire, int64_t x, int64_t y, const LandCell& c);
bool in_flood(const Event& flood, int64_t x, int64_t y, const LandCell& c);

// The fire on date `date`: burn scar (bare) for 150 days, then shrub regrowth.
Surface fire_surface(const Event& fire, const std::vector<Date>& dates, int date);
// The flood: water near the river, flooded vegetation further out.
Surface flood_surface(const LandCell& c);

// Places the events; inactive (with a reason in the log) when the scene has no site for them.
Event place_fire(uint64_t seed, const Landscape& land, int64_t size, int dates);
Event place_flood(uint64_t seed, const Landscape& land, int64_t size, int dates, const Event& fire);

}  // namespace strata::geo::synth
