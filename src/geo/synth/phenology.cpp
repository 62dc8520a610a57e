#include "geo/synth/phenology.h"

#include <cmath>

#include "geo/synth/noise.h"

namespace strata::geo::synth {
namespace {

// A blend from endmember a to b over days [d0, d1] of a ramp.
Surface ramp(uint8_t label, uint8_t a, uint8_t b, float d, float d0, float d1) {
  if (d <= d0) return pure_surface(label, a);
  if (d >= d1) return pure_surface(label, b);
  return {label, a, b, (d - d0) / (d1 - d0)};
}

// Crop calendar of one field, chosen from its id. Two crop types of temperate Europe:
// winter cereals (sown in autumn, green early, harvested in July) and spring/summer crops
// (sown in April-May, green in summer, harvested in August-October).
Surface crop_surface(uint32_t field, int doy) {
  const uint64_t h = mix64(field);
  const auto d = static_cast<float>(doy);
  const float jitter = 20.0f * unit(mix64(h));
  if (unit(h) < 0.4f) {  // winter cereal
    const float sow = 280.0f + jitter, greenup = 70.0f + jitter * 0.5f, senesce = 165.0f + jitter;
    const float harvest = senesce + 35.0f;
    if (d >= sow) return ramp(kCrops, kCropsBareSoil, kCropsGreen, d, sow + 20.0f, sow + 110.0f);  // autumn tillering
    if (d < greenup) return {kCrops, kCropsBareSoil, kCropsGreen, 0.4f};  // sparse winter cover
    if (d < senesce - 40.0f) return {kCrops, kCropsBareSoil, kCropsGreen, std::fmin(1.0f, 0.4f + 0.6f * (d - greenup) / 45.0f)};
    if (d < harvest) return ramp(kCrops, kCropsGreen, kCropsSenescent, d, senesce, senesce + 20.0f);
    return pure_surface(kCrops, kCropsBareSoil);  // stubble and ploughed soil
  }
  const float sow = 100.0f + 2.0f * jitter, peak_end = sow + 95.0f + jitter, harvest = peak_end + 35.0f + jitter;
  if (d < sow + 20.0f || d >= harvest) return pure_surface(kCrops, kCropsBareSoil);
  if (d < sow + 60.0f) return ramp(kCrops, kCropsBareSoil, kCropsGreen, d, sow + 20.0f, sow + 60.0f);
  return ramp(kCrops, kCropsGreen, kCropsSenescent, d, peak_end, peak_end + 25.0f);
}

}  // namespace

Surface seasonal_surface(const LandCell& cell, int doy) {
  const auto d = static_cast<float>(doy);
  switch (cell.cls) {
    case kWater:
      // Rivers carry sediment (a blend towards turbid water); lakes are clear.
      return cell.river_dist < 8.0f ? Surface{kWater, kWaterClear, kWaterTurbid, 0.3f} : pure_surface(kWater, kWaterClear);
    case kTrees:
      if (cell.conifer) return pure_surface(kTrees, kTreesConifer);
      if (d < 200.0f) return ramp(kTrees, kTreesLeafOff, kTreesLeafOn, d, 105.0f, 140.0f);
      return ramp(kTrees, kTreesLeafOn, kTreesLeafOff, d, 280.0f, 315.0f);
    case kGrass:
      if (d < 200.0f) return ramp(kGrass, kGrassDormant, kGrassSummer, d, 80.0f, 115.0f);
      return ramp(kGrass, kGrassSummer, kGrassDormant, d, 250.0f, 300.0f);
    case kFloodedVeg: return pure_surface(kFloodedVeg, kFloodedVegAll);
    case kCrops: return crop_surface(cell.patch, doy);
    case kShrub: return pure_surface(kShrub, kShrubAll);
    case kBuilt: return pure_surface(kBuilt, kBuiltAll);
    case kBare: return pure_surface(kBare, kBareAll);
    default: return pure_surface(kSnow, kSnowAll);
  }
}

float snow_line(int doy) {
  // Coldest around 20 January; snow only while the seasonal cosine is positive (Nov-Mar).
  const float winter = std::cos(2.0f * 3.14159265f * static_cast<float>(doy - 20) / 365.0f);
  return winter <= 0.2f ? 2.0f : 1.0f - 0.3f * winter;
}

Surface with_snow(const Surface& s, const LandCell& cell, float line) {
  if (s.label == kWater) return s;
  if (cell.elevation < line) return s;
  // A 0.04-wide transition above the snow line where snow is patchy.
  const float cover = clamp01((cell.elevation - line) / 0.04f);
  if (cover >= 1.0f) return pure_surface(kSnow, kSnowAll);
  const uint8_t base = s.t < 0.5f ? s.a : s.b;
  return {cover >= 0.5f ? uint8_t{kSnow} : s.label, base, kSnowAll, cover};
}

}  // namespace strata::geo::synth
