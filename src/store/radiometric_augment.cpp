#include "store/radiometric_augment.h"

#include <algorithm>
#include <cmath>

namespace strata::store {
namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double uniform(uint64_t& state) { return static_cast<double>(splitmix(state) >> 11) * (1.0 / 9007199254740992.0); }

double normal(uint64_t& state) {  // Box-Muller
  const double u = std::max(uniform(state), 1e-300), v = uniform(state);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

}  // namespace

void augment_radiometry(uint16_t* planes, int64_t bands, int64_t plane, const RadiometricAugment& a, uint64_t seed) {
  if (!a.enabled) return;
  uint64_t state = seed;
  const double haze = (uniform(state) * 1.5 - 0.5) * a.haze_dn;
  for (int64_t b = 0; b < bands; ++b) {
    const double gain = std::exp(a.gain_sigma * normal(state));
    const double weight = static_cast<size_t>(b) < a.haze_weight.size() ? a.haze_weight[static_cast<size_t>(b)] : 0.0;
    const double offset = haze * weight;
    uint16_t* p = planes + b * plane;
    for (int64_t i = 0; i < plane; ++i) {
      if (p[i] == 0) continue;
      double v = p[i] * gain + offset;
      v += normal(state) * (a.noise_dn + a.noise_fraction * v);
      p[i] = static_cast<uint16_t>(std::clamp(v, 1.0, 65535.0) + 0.5);
    }
  }
}

}  // namespace strata::store
