#pragma once
// Input normalisation: Sentinel-2 DN (reflectance x 10000) -> network input.
// Two modes:
//  - standard:    x = (dn - mean[b]) / std[b]
//  - log_sigmoid: Dynamic World's transfer, z = (ln(dn * 0.005 + 1) - p[b][0]) / p[b][1],
//                 x = sigmoid(5 z - 1), with per-band log-percentile constants p.
// DN 0 is no data (outside the swath, or masked as cloud by prepare and predict) and becomes 0 in
// both modes: the neutral input, the mean in standard mode, rather than an extreme "black"
// spectrum that the network would see as something and smear into the clear pixels around
// clouds. The reference below is the specification every backend is tested against.
#include <cstdint>
#include <vector>

namespace strata::nn {

enum class NormalizationMode { standard, log_sigmoid };

struct BandNormalization {
  NormalizationMode mode = NormalizationMode::standard;
  std::vector<float> a;  // standard: mean;  log_sigmoid: p[b][0]
  std::vector<float> b;  // standard: std;   log_sigmoid: p[b][1]
  int64_t bands() const { return static_cast<int64_t>(a.size()); }
  void validate() const;  // same length, b > 0 and finite; Error otherwise
};

// dn: [batch, bands, pixels] -> out: [batch, bands, pixels].
void normalize_bands_reference(const uint16_t* dn, float* out, const BandNormalization& norm,
                               int64_t batch, int64_t pixels);

}  // namespace strata::nn
