#pragma once
// Dynamic World's 9 land-cover classes, in their fixed order, and their palette.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace strata {

constexpr int kNumClasses = 9;
constexpr uint8_t kIgnoreLabel = 255;

inline const std::array<const char*, kNumClasses>& class_names() {
  static const std::array<const char*, kNumClasses> names = {
      "water", "trees", "grass", "flooded_vegetation", "crops", "shrub_and_scrub", "built", "bare", "snow_and_ice"};
  return names;
}

// Dynamic World's published visualisation palette.
inline const std::array<std::array<uint8_t, 3>, kNumClasses>& class_palette() {
  static const std::array<std::array<uint8_t, 3>, kNumClasses> p = {{{0x41, 0x9B, 0xDF},
                                                                     {0x39, 0x7D, 0x49},
                                                                     {0x88, 0xB0, 0x53},
                                                                     {0x7A, 0x87, 0xC6},
                                                                     {0xE4, 0x96, 0x35},
                                                                     {0xDF, 0xC3, 0x5A},
                                                                     {0xC4, 0x28, 0x1B},
                                                                     {0xA5, 0x9B, 0x8F},
                                                                     {0xB3, 0x9F, 0xE1}}};
  return p;
}

inline std::optional<int> class_index(const std::string& name) {
  for (int i = 0; i < kNumClasses; ++i)
    if (name == class_names()[static_cast<size_t>(i)]) return i;
  return std::nullopt;
}

}  // namespace strata
