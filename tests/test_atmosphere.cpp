// The synthetic atmosphere (geo/synth/atmosphere.h): the sun where it is at 10:30, the physics'
// directions (more scattering in the blue, absorption where water vapour absorbs), the L2A
// correction undoing the L1C forward model, and terrain lighting.
#include <gtest/gtest.h>

#include <cmath>

#include "geo/synth/atmosphere.h"
#include "geo/synth/calendar.h"

namespace {

using namespace strata::geo::synth;

constexpr int kB1 = 0, kB2 = 1, kB4 = 3, kB8 = 7, kB8A = 8, kB9 = 9, kB10 = 10, kB11 = 11, kB12 = 12;

Atmosphere atmosphere(float aot, float water_vapour, float sun_zenith = 35) {
  Atmosphere a;
  a.aot550 = aot;
  a.water_vapour = water_vapour;
  a.sun = {sun_zenith, 140};
  return a;
}

TEST(Atmosphere, SunAtOverpassFollowsLatitudeAndSeason) {
  // 47 N: high in July, low in January, south-east of the observer in the morning.
  const SunPosition july = sun_at_overpass(47, 196), january = sun_at_overpass(47, 15);
  EXPECT_NEAR(july.zenith_deg, 32, 4);
  EXPECT_NEAR(january.zenith_deg, 70, 4);
  EXPECT_GT(july.azimuth_deg, 110);
  EXPECT_LT(july.azimuth_deg, 170);
  EXPECT_GT(sun_at_overpass(60, 196).zenith_deg, july.zenith_deg);
  EXPECT_LT(sun_at_overpass(10, 196).zenith_deg, july.zenith_deg);
}

TEST(Atmosphere, PathRadianceFallsWithWavelengthAndGrowsWithAerosol) {
  const AtmosphereTerms clean = atmosphere_terms(atmosphere(0.05f, 1.5f), 0.05f, 5);
  const AtmosphereTerms hazy = atmosphere_terms(atmosphere(0.4f, 1.5f), 0.4f, 5);
  EXPECT_GT(clean[kB1].path, clean[kB2].path);
  EXPECT_GT(clean[kB2].path, clean[kB4].path);
  EXPECT_GT(clean[kB4].path, clean[kB8].path);
  EXPECT_GT(clean[kB8].path, clean[kB12].path);
  // Rayleigh alone at 443 nm and a 35-degree sun is of order 0.08 reflectance (800 DN).
  EXPECT_NEAR(clean[kB1].path, 900, 250);
  for (int b = 0; b < kBands; ++b) {
    EXPECT_GT(hazy[static_cast<size_t>(b)].path, clean[static_cast<size_t>(b)].path) << "band " << b;
    EXPECT_LT(hazy[static_cast<size_t>(b)].gain_dir, clean[static_cast<size_t>(b)].gain_dir) << "band " << b;
    EXPECT_LT(clean[static_cast<size_t>(b)].gain_dir + clean[static_cast<size_t>(b)].gain_dif, 1.0f);
    EXPECT_GT(clean[static_cast<size_t>(b)].direct, 0.5f);
  }
}

TEST(Atmosphere, WaterVapourDarkensB9AndHidesTheGroundFromB10) {
  const AtmosphereTerms dry = atmosphere_terms(atmosphere(0.1f, 0.5f), 0.1f, 5);
  const AtmosphereTerms humid = atmosphere_terms(atmosphere(0.1f, 3.0f), 0.1f, 5);
  EXPECT_LT(humid[kB9].gas, 0.4f);
  EXPECT_LT(humid[kB9].gas, dry[kB9].gas);
  EXPECT_GT(humid[kB8A].gas, 0.95f);
  EXPECT_LT(humid[kB10].gas, 0.02f);  // a forest at 0.25 shows a few DN in B10
  EXPECT_GT(dry[kB10].gas, humid[kB10].gas);
  EXPECT_GT(humid[kB11].gas, humid[kB12].gas);
}

TEST(Atmosphere, CorrectionUndoesTheForwardModel) {
  for (float aot : {0.03f, 0.2f, 0.6f}) {
    const AtmosphereTerms t = atmosphere_terms(atmosphere(aot, 2.0f, 60), aot, 9);
    for (int b = 0; b < kBands; ++b)
      for (float rho : {50.0f, 400.0f, 3000.0f, 8000.0f})
        for (float env : {100.0f, 2500.0f}) {
          const BandTerms& k = t[static_cast<size_t>(b)];
          EXPECT_NEAR(surface_line(k, env)(toa_line(k, env)(rho)), rho, 1e-3f * rho + 0.05f) << "band " << b;
          EXPECT_GT(toa_line(k, env + 500.0f)(rho), toa_line(k, env)(rho)) << "brighter surroundings show (adjacency)";
        }
  }
}

TEST(Atmosphere, TerrainLightsSlopesFacingTheSun) {
  const SunVector sun = sun_vector({40, 180});  // from the south
  const TerrainLight flat = terrain_light(0, 0, sun);
  EXPECT_NEAR(flat.direct, 1.0f, 1e-5f);
  EXPECT_NEAR(flat.sky, 1.0f, 1e-5f);
  const TerrainLight south = terrain_light(0, 0.4f, sun);  // rising to the north: faces south
  const TerrainLight north = terrain_light(0, -0.4f, sun);
  EXPECT_GT(south.direct, 1.1f);
  EXPECT_LT(north.direct, 0.8f);
  EXPECT_LT(south.sky, 1.0f);
  EXPECT_EQ(terrain_light(0, -3.0f, sun).direct, 0.0f) << "a steep north slope lies in its own shadow";
}

TEST(Atmosphere, DatesDrawDifferentSkiesFromTheSeedAndTheSeason) {
  const Atmosphere jan = make_atmosphere(42, parse_date("2021-01-15"), 47);
  const Atmosphere jul = make_atmosphere(42, parse_date("2021-07-15"), 47);
  EXPECT_LT(jul.sun.zenith_deg, jan.sun.zenith_deg);
  EXPECT_GT(jul.water_vapour, jan.water_vapour);  // 2.6 against 0.6 g/cm2 on average
  EXPECT_NE(make_atmosphere(43, parse_date("2021-07-15"), 47).aot550, jul.aot550);
  EXPECT_EQ(make_atmosphere(42, parse_date("2021-07-15"), 47).aot550, jul.aot550);
  for (const Atmosphere& a : {jan, jul}) {
    EXPECT_GT(a.aot550, 0.0f);
    EXPECT_LE(a.view_zenith_west, 11.0f);
    EXPECT_LE(a.view_zenith_east, 11.0f);
    EXPECT_GT(a.aot_at(100, 100), 0.0f);
  }
}

}  // namespace
