#pragma once
// The atmosphere between a synthetic surface and Sentinel-2, and the sun and view geometry of one
// acquisition: what turns surface reflectance (L2A-like) into top-of-atmosphere reflectance (L1C)
// and back. A compact model of the kind of SMAC (Rahman & Dedieu 1994) and 6S (Vermote et al.
// 1997), per band at its central wavelength:
//
//   rho_toa = rho_path + Tg * T_down * (t_up_dir * rho + t_up_dif * rho_env) / (1 - S * rho_env)
//
// Tg: gas transmittance (ozone, water vapour, well-mixed gases) along sun and view paths;
// rho_path: Rayleigh + aerosol path reflectance (single scattering), itself dimmed by the gases
// above where it scatters (a quarter of the water vapour: the air's scale height is 8 km, the
// vapour's 2 km; this is what B10 sees over a clear surface); T_down, t_up: total down and
// direct/diffuse up transmittances; S: spherical albedo; rho_env: the surroundings' reflectance
// (adjacency effect). docs/synth.md gives the formulae and their sources.
#include <array>
#include <cmath>
#include <cstdint>

#include "geo/synth/calendar.h"
#include "geo/synth/spectra_table.h"

namespace strata::geo::synth {

// Sun position at Sentinel-2's overpass (10:30 mean local solar time): zenith and azimuth
// (clockwise from north), degrees, from latitude and day of year.
struct SunPosition {
  float zenith_deg = 0, azimuth_deg = 0;
};
SunPosition sun_at_overpass(double latitude_deg, int day_of_year);

// The atmosphere and geometry of one date over one scene: scene means, plus the haze field and
// the view zenith's gradient across the swath.
struct Atmosphere {
  float aot550 = 0.1f;        // aerosol optical depth at 550 nm (scene mean)
  float angstrom = 1.3f;      // Angstrom exponent of the aerosol optical depth
  float haze_variation = 0.3f;  // relative amplitude of the aerosol field over the scene
  float water_vapour = 1.5f;  // precipitable water, g/cm2
  float ozone = 0.33f;        // total ozone, atm-cm (330 Dobson units)
  float pressure = 1000.0f;   // surface pressure, hPa
  SunPosition sun;
  float view_zenith_west = 5, view_zenith_east = 6;  // degrees at the scene's west and east edges
  float view_azimuth_deg = 100;  // towards the sensor, clockwise from north
  uint64_t haze_seed = 0;

  // Aerosol optical depth at 550 nm at a pixel (smooth haze field over ~6 km).
  float aot_at(float x, float y) const;
  // View zenith at a column of a scene `size` pixels wide.
  float view_zenith_at(float x, float size) const;
};

// A date's atmosphere, drawn from the seed with the season's climate (more water vapour and
// aerosol in summer, ozone highest in spring) and the sun at the scene's latitude.
Atmosphere make_atmosphere(uint64_t seed, const Date& date, double latitude_deg);

// The per-band coefficients of the equation above, for one aerosol optical depth and view zenith.
struct BandTerms {
  float gas = 1;       // Tg
  float path = 0;      // rho_path with its gas transmittance, in DN (reflectance x 10000)
  float gain_dir = 1;  // T_down * t_up_dir
  float gain_dif = 0;  // T_down * t_up_dif
  float sph = 0;       // S, per DN
  float direct = 1;    // the direct beam's share of T_down (what terrain slope and cloud shadow act on)
};
using AtmosphereTerms = std::array<BandTerms, kBands>;
AtmosphereTerms atmosphere_terms(const Atmosphere& atm, float aot550, float view_zenith_deg);

// For given surroundings both directions are straight lines, which is how the generator applies
// them (once per 60 m pixel and band, then a multiply-add per pixel).
struct Line {
  float offset = 0, gain = 1;
  float operator()(float x) const { return offset + gain * x; }
};
// Surface DN -> top-of-atmosphere DN, with the surroundings' DN.
inline Line toa_line(const BandTerms& t, float rho_env) {
  const float k = 1.0f / (1.0f - t.sph * rho_env);
  return {t.path + t.gas * t.gain_dif * rho_env * k, t.gas * t.gain_dir * k};
}
// Top-of-atmosphere DN -> surface DN, as an atmospheric correction does it with the terms it
// retrieved and its estimate of the surroundings (Sen2Cor's adjacency correction).
inline Line surface_line(const BandTerms& t, float rho_env) {
  const float k = 1.0f - t.sph * rho_env;
  return {-(t.path / t.gas * k + t.gain_dif * rho_env) / t.gain_dir, k / (t.gas * t.gain_dir)};
}

// Terrain: how a slope lights a pixel, from the elevation's gradient (dz/d east, dz/d north) and
// the unit vector towards the sun (east, north, up): direct sunlight by cos(incidence) /
// cos(sun zenith), diffuse skylight by the sky-view factor (1 + cos slope) / 2. A band's
// factor mixes them by its direct share: direct * t.direct + sky * (1 - t.direct). Cast shadows
// of the relief are not modelled.
struct SunVector {
  float east = 0, north = 0, up = 1;
};
SunVector sun_vector(const SunPosition& sun);
struct TerrainLight {
  float direct = 1, sky = 1;
};
inline TerrainLight terrain_light(float dz_east, float dz_north, const SunVector& s) {
  const float inv_len = 1.0f / std::sqrt(1.0f + dz_east * dz_east + dz_north * dz_north);  // cos(slope)
  const float cos_i = (s.up - dz_east * s.east - dz_north * s.north) * inv_len;
  const float direct = (cos_i > 0.0f ? cos_i : 0.0f) / (s.up > 0.05f ? s.up : 0.05f);
  return {direct < 4.0f ? direct : 4.0f, 0.5f * (1.0f + inv_len)};
}

}  // namespace strata::geo::synth
