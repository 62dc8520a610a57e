#include "geo/synth/atmosphere.h"

#include <algorithm>
#include <cmath>

#include "geo/synth/noise.h"

namespace strata::geo::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

// Per band, at Sentinel-2A's central wavelengths: ozone absorption (Chappuis band, per atm-cm),
// water-vapour absorption as Tg = exp(-a (m U)^n) (SMAC's form; a and n fitted to the depth of
// each band's absorption: B9 at 945 nm and B10 at 1375 nm sit in water-vapour bands, B8 and B8A
// and the SWIR bands see their wings), and the optical depth of the well-mixed gases (O2, CO2,
// CH4, N2O: strongest at 2.2 um) per air mass.
struct BandOptics {
  float wavelength_um;
  float ozone_k;
  float wv_a, wv_n;
  float mixed_gas_tau;
};
constexpr std::array<BandOptics, kBands> kOptics = {{
    {0.4427f, 0.004f, 0.0f, 0.6f, 0.0f},      // B1
    {0.4924f, 0.021f, 0.0f, 0.6f, 0.0f},      // B2
    {0.5598f, 0.104f, 0.0f, 0.6f, 0.0f},      // B3
    {0.6646f, 0.051f, 0.0f, 0.6f, 0.0f},      // B4
    {0.7041f, 0.021f, 0.008f, 0.6f, 0.002f},  // B5
    {0.7405f, 0.011f, 0.003f, 0.6f, 0.003f},  // B6
    {0.7828f, 0.007f, 0.004f, 0.6f, 0.002f},  // B7
    {0.8328f, 0.003f, 0.018f, 0.6f, 0.002f},  // B8
    {0.8647f, 0.002f, 0.006f, 0.6f, 0.0f},    // B8A
    {0.9451f, 0.0f, 0.45f, 0.6f, 0.0f},       // B9
    {1.3735f, 0.0f, 2.9f, 0.35f, 0.005f},     // B10
    {1.6137f, 0.0f, 0.010f, 0.6f, 0.012f},    // B11
    {2.2024f, 0.0f, 0.035f, 0.6f, 0.035f},    // B12
}};

// Continental aerosol: single-scattering albedo and Henyey-Greenstein asymmetry.
constexpr double kAerosolAlbedo = 0.93, kAerosolAsymmetry = 0.65;

// Rayleigh optical depth at sea level (Hansen & Travis 1974).
double rayleigh_tau(double um) {
  const double l2 = um * um, l4 = l2 * l2;
  return 0.008569 / l4 * (1.0 + 0.0113 / l2 + 0.00013 / l4);
}

enum Stream : uint64_t { sAot = 1, sAngstrom, sWater, sOzone, sHazeAmp, sHaze, sSwath };

}  // namespace

SunPosition sun_at_overpass(double latitude_deg, int day_of_year) {
  // Declination (Cooper 1969) and the hour angle of 10:30 local solar time.
  const double decl = 23.44 * kDeg * std::sin(2.0 * kPi * (284.0 + day_of_year) / 365.0);
  const double hour = (10.5 - 12.0) * 15.0 * kDeg;
  const double lat = latitude_deg * kDeg;
  const double cos_z = std::sin(lat) * std::sin(decl) + std::cos(lat) * std::cos(decl) * std::cos(hour);
  const double zenith = std::acos(std::clamp(cos_z, -1.0, 1.0));
  // Azimuth clockwise from north: east of south in the morning.
  const double az = std::atan2(std::sin(hour), std::cos(hour) * std::sin(lat) - std::tan(decl) * std::cos(lat)) + kPi;
  return {static_cast<float>(zenith / kDeg), static_cast<float>(az / kDeg)};
}

float Atmosphere::aot_at(float x, float y) const {
  const float f = 2.0f * fbm(haze_seed, x / 600.0f, y / 600.0f, 3) - 1.0f;
  return aot550 * std::clamp(1.0f + 2.0f * haze_variation * f, 0.3f, 2.5f);
}

float Atmosphere::view_zenith_at(float x, float size) const {
  return view_zenith_west + (view_zenith_east - view_zenith_west) * (x / size);
}

Atmosphere make_atmosphere(uint64_t seed, const Date& date, double latitude_deg) {
  const uint64_t s = hash(seed, 0xa7e, static_cast<uint64_t>(date.day));
  // 0 in mid-January, 1 in mid-July (the northern mid-latitudes' climate of the landscape).
  const float summer = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * (date.doy - 15) / 365.0));
  Atmosphere a;
  a.aot550 = std::clamp((0.05f + 0.07f * summer) * std::exp(0.45f * gauss(hash(s, sAot))), 0.02f, 0.7f);
  a.angstrom = std::clamp(1.3f + 0.3f * gauss(hash(s, sAngstrom)), 0.5f, 2.2f);
  a.water_vapour = std::clamp((0.6f + 2.0f * summer) * std::exp(0.3f * gauss(hash(s, sWater))), 0.2f, 5.0f);
  a.ozone = std::clamp(0.33f + 0.03f * static_cast<float>(std::cos(2.0 * kPi * (date.doy - 100) / 365.0)) +
                           0.015f * gauss(hash(s, sOzone)),
                       0.24f, 0.45f);
  a.pressure = 1013.25f * std::exp(-400.0f / 8430.0f);  // the landscape's valleys and hills, ~400 m
  a.haze_variation = 0.1f + 0.3f * unit(hash(s, sHazeAmp));
  a.haze_seed = hash(s, sHaze);
  a.sun = sun_at_overpass(latitude_deg, date.doy);
  // The scene's place across the 290 km swath from an orbit 786 km up: view zenith 0 at nadir,
  // about 10 degrees at the swath's edges; the sensor looks across the track (which runs ~12
  // degrees west of south on the descending node), from the east or the west of the scene.
  const double across_km = (2.0 * unit(hash(s, sSwath)) - 1.0) * 135.0;
  const double edge_km = 5.0;  // half a 10 km scene, enough for the gradient's direction and size
  auto zenith = [](double km) { return static_cast<float>(std::atan(std::fabs(km) / 786.0) / kDeg); };
  a.view_zenith_west = zenith(across_km - edge_km);
  a.view_zenith_east = zenith(across_km + edge_km);
  // From the pixel towards the sensor: west for a scene east of the ground track.
  a.view_azimuth_deg = across_km >= 0 ? 282.0f : 102.0f;
  return a;
}

AtmosphereTerms atmosphere_terms(const Atmosphere& atm, float aot550, float view_zenith_deg) {
  const double mu_s = std::cos(atm.sun.zenith_deg * kDeg), mu_v = std::cos(view_zenith_deg * kDeg);
  const double sin_s = std::sqrt(1.0 - mu_s * mu_s), sin_v = std::sqrt(1.0 - mu_v * mu_v);
  const double rel_az = (atm.sun.azimuth_deg - atm.view_azimuth_deg) * kDeg;
  const double cos_scat = -(mu_s * mu_v + sin_s * sin_v * std::cos(rel_az));
  const double p_rayleigh = 0.75 * (1.0 + cos_scat * cos_scat);
  const double g = kAerosolAsymmetry, w = kAerosolAlbedo;
  const double p_aerosol = (1.0 - g * g) / std::pow(1.0 + g * g - 2.0 * g * cos_scat, 1.5);
  const double air_mass = 1.0 / mu_s + 1.0 / mu_v;
  AtmosphereTerms terms;
  for (int b = 0; b < kBands; ++b) {
    const BandOptics& o = kOptics[static_cast<size_t>(b)];
    const double tau_r = rayleigh_tau(o.wavelength_um) * atm.pressure / 1013.25;
    const double tau_a = aot550 * std::pow(o.wavelength_um / 0.55, -atm.angstrom);
    // Single scattering, unattenuated: within ~10 % of multiple-scattering codes for the
    // optical depths here (its missing attenuation and missing higher orders largely cancel).
    const double path = (tau_r * p_rayleigh + w * tau_a * p_aerosol) / (4.0 * mu_s * mu_v);
    // Total transmittance: half the Rayleigh-scattered light and the forward lobe of the
    // aerosol's ((1 + g) / 2) still reach the ground (or the sensor).
    const double tau_eff = 0.5 * tau_r + tau_a * (1.0 - w * 0.5 * (1.0 + g));
    const double tau = tau_r + tau_a;
    BandTerms& t = terms[static_cast<size_t>(b)];
    const double down = std::exp(-tau_eff / mu_s), up_dir = std::exp(-tau / mu_v);
    t.direct = static_cast<float>(std::exp(-tau / mu_s) / down);
    t.gain_dir = static_cast<float>(down * up_dir);
    t.gain_dif = static_cast<float>(down * (std::exp(-tau_eff / mu_v) - up_dir));
    t.sph = static_cast<float>(1e-4 * (0.92 * tau_r * std::exp(-tau_r) + w * tau_a * 0.5 * (1.0 - g)));
    auto vapour = [&](double u) { return o.wv_a > 0 ? o.wv_a * std::pow(air_mass * u, o.wv_n) : 0.0; };
    const double other = air_mass * (o.ozone_k * atm.ozone + o.mixed_gas_tau);
    t.gas = static_cast<float>(std::exp(-other - vapour(atm.water_vapour)));
    t.path = static_cast<float>(1e4 * path * std::exp(-other - vapour(0.25 * atm.water_vapour)));
  }
  return terms;
}

SunVector sun_vector(const SunPosition& sun) {
  const double z = sun.zenith_deg * kDeg, az = sun.azimuth_deg * kDeg;
  return {static_cast<float>(std::sin(z) * std::sin(az)), static_cast<float>(std::sin(z) * std::cos(az)),
          static_cast<float>(std::cos(z))};
}

}  // namespace strata::geo::synth
