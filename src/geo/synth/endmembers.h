#pragma once
// The spectra the generator mixes ("endmembers"): one per (class, seasonal variant) row of the
// spectra table. Resolved once from the table into flat arrays indexed by this enum, because the
// per-pixel loop must not look strings up.
#include <array>
#include <cstdint>

#include "geo/synth/spectra_table.h"

namespace strata::geo::synth {

// The 9 Dynamic World classes, in strata's order.
enum Cls : uint8_t {
  kWater = 0, kTrees = 1, kGrass = 2, kFloodedVeg = 3, kCrops = 4, kShrub = 5, kBuilt = 6, kBare = 7, kSnow = 8
};
constexpr int kClasses = 9;
constexpr uint8_t kNoLabel = 255;

enum Endmember : uint8_t {
  kWaterClear, kWaterTurbid, kTreesLeafOn, kTreesLeafOff, kTreesConifer, kGrassSummer, kGrassDormant,
  kFloodedVegAll, kCropsBareSoil, kCropsGreen, kCropsSenescent, kShrubAll, kBuiltAll, kBareAll,
  kBareBurnScar, kSnowAll,
  kEndmemberCount
};
constexpr uint8_t kMixed = 255;  // "no single endmember": a blend, an edge, a cloud

struct EndmemberInfo {
  const char* class_name;
  const char* variant;
  Cls cls;
};

inline constexpr std::array<EndmemberInfo, kEndmemberCount> kEndmemberInfo = {{
    {"water", "clear", kWater},
    {"water", "turbid", kWater},
    {"trees", "leaf_on", kTrees},
    {"trees", "leaf_off", kTrees},
    {"trees", "conifer", kTrees},
    {"grass", "summer", kGrass},
    {"grass", "dormant", kGrass},
    {"flooded_vegetation", "all", kFloodedVeg},
    {"crops", "bare_soil", kCrops},
    {"crops", "green", kCrops},
    {"crops", "senescent", kCrops},
    {"shrub_and_scrub", "all", kShrub},
    {"built", "all", kBuilt},
    {"bare", "all", kBare},
    {"bare", "burn_scar", kBare},
    {"snow_and_ice", "all", kSnow},
}};

// Mean and the std used for within-class variation. The generator clamps its normal deviates to
// +-2 (symmetric, so the mean is kept) and the std is capped at 0.45 x mean, so reflectance never
// goes below 10 % of the mean (the table's stds of 20 m bands include edge mixing from pixel
// replication and can exceed the mean).
struct EndmemberSpectra {
  std::array<std::array<float, kBands>, kEndmemberCount> mean{};
  std::array<std::array<float, kBands>, kEndmemberCount> spread{};

  static EndmemberSpectra from_table(const SpectraTable& table) {
    EndmemberSpectra e;
    for (int i = 0; i < kEndmemberCount; ++i) {
      const auto& info = kEndmemberInfo[static_cast<size_t>(i)];
      const Signature& s = table.get(info.class_name, info.variant);
      for (int b = 0; b < kBands; ++b) {
        const auto ub = static_cast<size_t>(b);
        e.mean[static_cast<size_t>(i)][ub] = s.mean[ub];
        const float cap = 0.45f * s.mean[ub];
        e.spread[static_cast<size_t>(i)][ub] = s.std[ub] < cap ? s.std[ub] : cap;
      }
    }
    return e;
  }
};

// WorldCover codes of the 9 classes (flooded_vegetation -> 90 herbaceous wetland); 0 is nodata.
inline constexpr std::array<uint8_t, kClasses> kWorldCoverCode = {80, 10, 30, 90, 40, 20, 50, 60, 70};

}  // namespace strata::geo::synth
