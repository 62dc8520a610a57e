#pragma once
// The atmosphere over a window, pixel by pixel: the terms of toa_line() (and of the L2A correction)
// and the surroundings' reflectance (adjacency), computed on a lattice every kOpticsCell pixels
// of the scene and bilinearly interpolated. They vary over kilometres, so the lattice costs little
// per pixel; it is anchored to the scene's origin, so a pixel's value does not depend on the window.
#include <cstdint>
#include <functional>
#include <vector>

#include "geo/grid.h"
#include "geo/synth/atmosphere.h"

namespace strata::geo::synth {

constexpr int64_t kOpticsCell = 64;

// One band's interpolated terms at a pixel.
enum OpticsTerm : int {
  kEnv,       // surroundings' surface DN, a ~1 km weighted mean
  kGas, kPath, kGainDir, kGainDif, kSph, kDirect,  // the true atmosphere's BandTerms
  kRetGas, kRetPath, kRetGainDir, kRetGainDif, kRetSph,  // the one an atmospheric correction retrieves
  kOpticsTerms
};

struct OpticsInputs {
  const Atmosphere* truth = nullptr;
  const Atmosphere* retrieved = nullptr;  // nullptr: no correction terms (L1C)
  int64_t scene_size = 0;
  // The surface's mean DN at a scene pixel, 13 bands, without texture (for the surroundings).
  std::function<void(int64_t x, int64_t y, float* dn)> ground;
};

class OpticsField {
 public:
  // Lattice over `w` (plus what the interpolation and the surroundings' blur need).
  void build(const Window& w, const OpticsInputs& in);
  // The kOpticsTerms x kBands values at scene pixel (x, y) inside the window: out[term * kBands + band]
  // (the retrieved terms only when build() had a retrieved atmosphere).
  void at(int64_t x, int64_t y, float* out) const;

  // One band's terms out of at()'s values.
  static BandTerms truth(const float* v, int band) {
    return {v[kGas * kBands + band], v[kPath * kBands + band], v[kGainDir * kBands + band],
            v[kGainDif * kBands + band], v[kSph * kBands + band], v[kDirect * kBands + band]};
  }
  static BandTerms retrieved(const float* v, int band) {
    return {v[kRetGas * kBands + band], v[kRetPath * kBands + band], v[kRetGainDir * kBands + band],
            v[kRetGainDif * kBands + band], v[kRetSph * kBands + band], v[kDirect * kBands + band]};
  }

 private:
  int64_t i0_ = 0, j0_ = 0, cols_ = 0, rows_ = 0;
  int used_ = 0;  // values per lattice point that at() interpolates: all, or all but the retrieved terms
  std::vector<float> lattice_;  // [rows][cols][kOpticsTerms * kBands]
};

}  // namespace strata::geo::synth
