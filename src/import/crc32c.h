#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as LevelDB tables and TensorFlow tensor
// bundles use it, plus TensorFlow's mask: a CRC stored next to the data it covers is "masked" so
// that the CRC of a string containing embedded CRCs stays well distributed.
#include <cstdint>
#include <string_view>

namespace strata::import {

// Continues `crc` (the CRC of the bytes before) over `data`; crc32c_extend(0, s) is the CRC of s.
uint32_t crc32c_extend(uint32_t crc, std::string_view data);
inline uint32_t crc32c(std::string_view data) { return crc32c_extend(0, data); }

inline constexpr uint32_t kCrc32cMaskDelta = 0xa282ead8u;
inline uint32_t crc32c_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta; }
inline uint32_t crc32c_unmask(uint32_t masked) {
  const uint32_t rot = masked - kCrc32cMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace strata::import
