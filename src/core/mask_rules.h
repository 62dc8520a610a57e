#pragma once
// The per-pixel rules of the Sentinel-2 cloud masks: the mask codes and how one pixel's QA60,
// SCL or reflectances map to a code. They live in core, the one layer below both src/geo (the
// CPU references, geo/cloud_mask.h, which documents them in full) and kernels/ (the CUDA
// versions): the two are peers and may not include each other, so the rules they share are
// here and each side owns only its loops.
#include <cstdint>

#include "core/host_device.h"

namespace strata {

// The mask code of one pixel; snow is a valid, cloud-free observation (counts as clear).
enum class MaskCode : uint8_t { clear = 0, cloud = 1, cirrus = 2, shadow = 3, nodata = 4, snow = 5 };
STRATA_HOST_DEVICE inline constexpr uint8_t code(MaskCode c) { return static_cast<uint8_t>(c); }
inline constexpr uint8_t kMaskCodeCount = 6;
// True for the codes a composite may use: clear and snow.
STRATA_HOST_DEVICE inline constexpr bool is_clear(uint8_t m) {
  return m == code(MaskCode::clear) || m == code(MaskCode::snow);
}

enum class DilationShape { square, disk };

// The bands the spectral test reads, each [h][w] DN; b10 and b12 may be null.
struct SpectralBands {
  const uint16_t* b2 = nullptr;   // blue
  const uint16_t* b3 = nullptr;   // green
  const uint16_t* b4 = nullptr;   // red
  const uint16_t* b8 = nullptr;   // NIR
  const uint16_t* b10 = nullptr;  // cirrus (L1C only), optional
  const uint16_t* b11 = nullptr;  // SWIR 1.6 um
  const uint16_t* b12 = nullptr;  // SWIR 2.2 um, optional; not used by the current tests
};

// Thresholds of the spectral test, in DN (see geo/cloud_mask.h for the tests and their sources).
struct SpectralParams {
  double ndsi_snow = 0.4;
  uint16_t nir_snow_min = 1100;
  uint16_t blue_cloud_min = 2000;
  int hot_cloud_min = 800;
  uint16_t cirrus_b10_min = 100;
  bool has_nodata = true;
  uint16_t nodata_dn = 0;
};

// QA60 bit 10 -> cloud, bit 11 -> cirrus, both -> cloud, neither -> clear.
STRATA_HOST_DEVICE inline uint8_t qa60_code(uint16_t q) {
  constexpr uint16_t kOpaque = 1u << 10, kCirrus = 1u << 11;
  return (q & kOpaque) ? code(MaskCode::cloud) : (q & kCirrus) ? code(MaskCode::cirrus) : code(MaskCode::clear);
}

// SCL (Sen2Cor scene classification); anything above 11 is not an SCL class -> nodata.
STRATA_HOST_DEVICE inline uint8_t scl_code(uint8_t scl) {
  constexpr MaskCode kByClass[12] = {
      MaskCode::nodata,  // 0 no data
      MaskCode::nodata,  // 1 saturated or defective
      MaskCode::clear,   // 2 dark area pixels (topographic shadow, dark surfaces)
      MaskCode::shadow,  // 3 cloud shadows
      MaskCode::clear,   // 4 vegetation
      MaskCode::clear,   // 5 not vegetated
      MaskCode::clear,   // 6 water
      MaskCode::clear,   // 7 unclassified (low-probability cloud)
      MaskCode::cloud,   // 8 cloud medium probability
      MaskCode::cloud,   // 9 cloud high probability
      MaskCode::cirrus,  // 10 thin cirrus
      MaskCode::snow,    // 11 snow or ice
  };
  return scl < 12 ? code(kByClass[scl]) : code(MaskCode::nodata);
}

// One pixel of the spectral test; the first test that matches wins: nodata, snow, cloud,
// cirrus (only when has_b10), clear.
STRATA_HOST_DEVICE inline uint8_t spectral_code(uint16_t b2_dn, uint16_t b3_dn, uint16_t b4_dn, uint16_t b8_dn,
                                                uint16_t b11_dn, bool has_b10, uint16_t b10_dn,
                                                const SpectralParams& p) {
  const double b2 = b2_dn, b3 = b3_dn, b4 = b4_dn, b8 = b8_dn, b11 = b11_dn;
  const double ndsi = b3 + b11 > 0 ? (b3 - b11) / (b3 + b11) : 0.0;
  if (p.has_nodata && b2_dn == p.nodata_dn) return code(MaskCode::nodata);
  if (ndsi > p.ndsi_snow && b8 > p.nir_snow_min) return code(MaskCode::snow);
  if (b2 > p.blue_cloud_min && b2 - 0.5 * b4 > p.hot_cloud_min) return code(MaskCode::cloud);
  if (has_b10 && b10_dn > p.cirrus_b10_min) return code(MaskCode::cirrus);
  return code(MaskCode::clear);
}

// Dilation: how strongly a code spreads (cloud 3 > shadow 2 > cirrus 1; 0 = it does not),
// and the code a grown pixel takes for the strongest rank within reach.
STRATA_HOST_DEVICE inline int dilation_rank(uint8_t m) {
  return m == code(MaskCode::cloud) ? 3 : m == code(MaskCode::shadow) ? 2 : m == code(MaskCode::cirrus) ? 1 : 0;
}
STRATA_HOST_DEVICE inline uint8_t code_of_rank(int rank) {
  return rank >= 3 ? code(MaskCode::cloud) : rank == 2 ? code(MaskCode::shadow)
         : rank == 1 ? code(MaskCode::cirrus) : code(MaskCode::clear);
}
// Whether offset (dx, dy) is in the structuring element of the given radius.
STRATA_HOST_DEVICE inline bool in_dilation(int dx, int dy, int radius, DilationShape shape) {
  return shape == DilationShape::square || dx * dx + dy * dy <= radius * radius;
}

}  // namespace strata
