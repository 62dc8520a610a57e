#pragma once
// The Sentinel-2 MSI band model: names, wavelengths, native resolutions, and the product
// levels. Band order everywhere in strata is B1 B2 B3 B4 B5 B6 B7 B8 B8A B9 B10 B11 B12
// (L2A has no B10).
#include <optional>
#include <string>
#include <vector>

namespace strata::geo::s2 {

struct Band {
  const char* name;        // canonical: "B1", "B8A", "B12"
  double wavelength_nm;    // central wavelength (S2A)
  double bandwidth_nm;
  int resolution_m;        // native: 10, 20 or 60
  const char* common_name; // STAC eo:common_name ("blue", "nir", "swir16", ...), "" where none
};

enum class Level { l1c, l2a };

// All 13 bands in canonical order.
const std::vector<Band>& all_bands();
// The bands of a product level: 13 for L1C, 12 for L2A.
std::vector<std::string> band_names(Level level);
// Index into all_bands() of a band name in any common spelling ("B02", "b2", "B8A",
// "B08", "coastal", "nir08", ...); nullopt when it is not a Sentinel-2 band.
std::optional<int> band_index(const std::string& name);
const Band& band(const std::string& name);  // Error for an unknown name
std::string canonical_name(const std::string& name);  // "B02" -> "B2"; Error when unknown

// Processing baseline 04.00 (from 25 January 2022) adds an offset of +1000 to every DN.
// Harmonisation maps such DN back to the pre-04.00 scale: max(dn, 1000) - 1000, nodata (0) kept.
constexpr int kBaselineOffset = 1000;
inline unsigned short harmonize_dn(unsigned short dn) {
  if (dn == 0) return 0;
  return dn <= kBaselineOffset ? 1 : static_cast<unsigned short>(dn - kBaselineOffset);
}

}  // namespace strata::geo::s2
