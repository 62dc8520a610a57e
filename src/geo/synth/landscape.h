#pragma once
// The static landscape of a synthetic scene (what is where before seasons, clouds and events):
// a main river and a river network, lakes, wetlands, forests, shrub, rock, towns on road junctions, roads, quarries and
// the crop / grass parcels of farmland. A pure function of (seed, x, y).
//
// Smooth fields (elevation, rivers, forest density, ...) are fBm noise sampled on a lattice every
// kLattice pixels and bilinearly interpolated: the same interpolation runs for one point and for a
// block, so a block equals the same pixels computed one by one, and the cost of the noise is
// paid once per 16 pixels. Sharp features (parcels, roads, towns) are evaluated per pixel.
#include <array>
#include <cstdint>
#include <vector>

#include "geo/grid.h"

namespace strata::geo::synth {

constexpr int64_t kLattice = 4;

struct LandCell {
  uint8_t cls = 0;        // Cls before season and events
  bool conifer = false;   // trees: evergreen needle-leaf, else deciduous
  bool parcel = false;    // a farmland parcel (crops or grass field)
  uint32_t patch = 0;     // parcel id (crop calendar, per-field brightness); 0 elsewhere
  float elevation = 0;    // 0 (valley floor) .. 1 (summits)
  float river_dist = 0;   // pixels to the nearest river centre line (approximate)
  float texture = 0;      // smooth zero-mean field for within-class variation (about N(0,1))
};

// Smooth fields at one point (lattice sample or interpolated).
struct SmoothFields {
  float river = 0, elev = 0, forest = 0, lake = 0, conifer = 0, wet = 0, texture = 0;
  float main_offset = 0, main_slope = 0;  // main river: row offset from its centre line, its slope
};

class Landscape {
 public:
  // `size`: the scene's size, so that a main river crosses every scene west to east (besides the
  // network of rivers that the noise draws, which a small scene may miss).
  Landscape(uint64_t seed, int64_t size);

  LandCell at(int64_t x, int64_t y) const;
  // out: window.height rows of window.width cells; identical to at() for every pixel.
  void fill(const Window& window, LandCell* out) const;

 private:
  struct MainRiverColumn {
    float y, slope;  // the main river's centre row and slope at a lattice column
  };
  MainRiverColumn main_river_column(int64_t i) const;
  SmoothFields lattice_sample(int64_t i, int64_t j, const MainRiverColumn& main) const;
  struct Cache;
  LandCell classify(int64_t x, int64_t y, const SmoothFields& s, float river_dist, Cache& cache) const;

  float main_river_y(float x) const;

  uint64_t seed_;
  float main_y0_;     // the main river's mean row
  float main_swing_;  // how far it meanders north and south (keeps it inside small scenes)
  std::array<uint64_t, 32> streams_{};  // hash(seed_, stream) of each field, computed once
};

}  // namespace strata::geo::synth
