#pragma once
// What the ground looks like on a given day: which endmember spectra a pixel mixes, and its true
// label, from its static land cover and the day of year. Crops follow a per-field calendar
// (sowing, green-up, senescence, harvest), deciduous trees drop their leaves in winter, grass
// dries out of summer, and snow covers high ground in winter.
#include <cstdint>

#include "geo/synth/endmembers.h"
#include "geo/synth/landscape.h"

namespace strata::geo::synth {

// spectrum = (1 - t) * a + t * b; a pure endmember has t == 0.
struct Surface {
  uint8_t label = 0;
  uint8_t a = 0, b = 0;
  float t = 0;
  uint8_t pure() const { return t == 0.0f ? a : (t == 1.0f ? b : kMixed); }
};

inline Surface pure_surface(uint8_t label, uint8_t em) { return {label, em, em, 0.0f}; }

// The surface before events and snow.
Surface seasonal_surface(const LandCell& cell, int doy);
// Snow line (elevation above which the ground is snow-covered) on a day of year; > 1 means none.
float snow_line(int doy);
// Applies seasonal snow above the snow line `line` on top of `s` (water does not take snow).
Surface with_snow(const Surface& s, const LandCell& cell, float line);

}  // namespace strata::geo::synth
