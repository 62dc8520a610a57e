#include "geo/synth/optics_field.h"

#include <algorithm>

namespace strata::geo::synth {
namespace {

constexpr int kValues = kOpticsTerms * kBands;

int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void put_terms(const AtmosphereTerms& t, float* v, bool retrieved) {
  for (int b = 0; b < kBands; ++b) {
    const BandTerms& k = t[static_cast<size_t>(b)];
    if (retrieved) {
      v[kRetGas * kBands + b] = k.gas;
      v[kRetPath * kBands + b] = k.path;
      v[kRetGainDir * kBands + b] = k.gain_dir;
      v[kRetGainDif * kBands + b] = k.gain_dif;
      v[kRetSph * kBands + b] = k.sph;
    } else {
      v[kGas * kBands + b] = k.gas;
      v[kPath * kBands + b] = k.path;
      v[kGainDir * kBands + b] = k.gain_dir;
      v[kGainDif * kBands + b] = k.gain_dif;
      v[kSph * kBands + b] = k.sph;
      v[kDirect * kBands + b] = k.direct;
    }
  }
}

}  // namespace

void OpticsField::build(const Window& w, const OpticsInputs& in) {
  // Lattice points i0..i1 cover the window for interpolation; the surroundings' 3 x 3 binomial
  // blur needs one more ring of ground samples.
  i0_ = floordiv(w.x, kOpticsCell);
  j0_ = floordiv(w.y, kOpticsCell);
  cols_ = floordiv(w.x + w.width - 1, kOpticsCell) + 2 - i0_;
  rows_ = floordiv(w.y + w.height - 1, kOpticsCell) + 2 - j0_;
  const int64_t gc = cols_ + 2, gr = rows_ + 2;
  std::vector<float> ground(static_cast<size_t>(gc * gr * kBands));
  for (int64_t j = 0; j < gr; ++j)
    for (int64_t i = 0; i < gc; ++i)
      in.ground((i0_ + i - 1) * kOpticsCell, (j0_ + j - 1) * kOpticsCell, &ground[static_cast<size_t>((j * gc + i) * kBands)]);
  used_ = in.retrieved ? kValues : kRetGas * kBands;
  lattice_.assign(static_cast<size_t>(cols_ * rows_ * kValues), 0.0f);
  const auto size = static_cast<float>(in.scene_size);
  for (int64_t j = 0; j < rows_; ++j)
    for (int64_t i = 0; i < cols_; ++i) {
      float* v = &lattice_[static_cast<size_t>((j * cols_ + i) * kValues)];
      const auto x = static_cast<float>((i0_ + i) * kOpticsCell), y = static_cast<float>((j0_ + j) * kOpticsCell);
      const float vz = in.truth->view_zenith_at(x, size);
      put_terms(atmosphere_terms(*in.truth, in.truth->aot_at(x, y), vz), v, false);
      if (in.retrieved) put_terms(atmosphere_terms(*in.retrieved, in.retrieved->aot_at(x, y), vz), v, true);
      constexpr float kW[3] = {0.25f, 0.5f, 0.25f};
      for (int b = 0; b < kBands; ++b) {
        float e = 0;
        for (int dj = 0; dj < 3; ++dj)
          for (int di = 0; di < 3; ++di)
            e += kW[dj] * kW[di] * ground[static_cast<size_t>(((j + dj) * gc + (i + di)) * kBands + b)];
        v[kEnv * kBands + b] = e;
      }
    }
}

void OpticsField::at(int64_t x, int64_t y, float* out) const {
  const int64_t i = floordiv(x, kOpticsCell) - i0_, j = floordiv(y, kOpticsCell) - j0_;
  const float tx = static_cast<float>(x - (i + i0_) * kOpticsCell) / kOpticsCell;
  const float ty = static_cast<float>(y - (j + j0_) * kOpticsCell) / kOpticsCell;
  const float* a = &lattice_[static_cast<size_t>((j * cols_ + i) * kValues)];
  const float* b = a + kValues;
  const float* c = a + cols_ * kValues;
  const float* d = c + kValues;
  const float w00 = (1 - tx) * (1 - ty), w10 = tx * (1 - ty), w01 = (1 - tx) * ty, w11 = tx * ty;
  for (int k = 0; k < used_; ++k) out[k] = w00 * a[k] + w10 * b[k] + w01 * c[k] + w11 * d[k];
}

}  // namespace strata::geo::synth
