#pragma once
// Radiometric augmentation of a training patch: what differs between two acquisitions of the same
// ground, and between a synthetic scene and a real one, once geometry is set aside: a calibration
// gain per band, a haze (additive path radiance, strongest in the blue, and also less of it than
// the scene had: towards surface reflectance), and sensor noise. It teaches a model not to lean
// on one band's absolute level. A pure function of its seed: reproducible, the same after a resume.
// DN 0 (no data) stays 0; values are clamped to 1..65535.
#include <cstdint>
#include <vector>

namespace strata::store {

struct RadiometricAugment {
  bool enabled = false;
  double gain_sigma = 0.06;     // per band and patch: gain = exp(N(0, gain_sigma))
  double haze_dn = 300;         // per patch: haze = U(-0.5, 1) x haze_dn x haze_weight[band]
  double noise_dn = 4;          // per pixel and band: N(0, noise_dn + noise_fraction x DN)
  double noise_fraction = 0.005;
  // Per band, how much of the haze it gets: (wavelength / 490 nm)^-2 from the caller, which knows
  // the bands (an aerosol's path radiance falls about so with wavelength). Empty: 0 for all.
  std::vector<float> haze_weight;
};

// planes: [bands][plane] DN of one patch.
void augment_radiometry(uint16_t* planes, int64_t bands, int64_t plane, const RadiometricAugment& a, uint64_t seed);

}  // namespace strata::store
