#include "nn/normalize.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace strata::nn {

void BandNormalization::validate() const {
  check(!a.empty() && a.size() == b.size(), "band normalisation: need one (a, b) pair per band, got " +
                                                std::to_string(a.size()) + " and " + std::to_string(b.size()));
  for (size_t i = 0; i < a.size(); ++i)
    check(std::isfinite(a[i]) && std::isfinite(b[i]) && b[i] > 0.0f,
          "band normalisation: band " + std::to_string(i) + " has a non-finite value or a scale <= 0");
}

void normalize_bands_reference(const uint16_t* dn, float* out, const BandNormalization& norm,
                               int64_t batch, int64_t pixels) {
  const int64_t bands = norm.bands();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < bands; ++c) {
      const int64_t base = (n * bands + c) * pixels;
      const float a = norm.a[static_cast<size_t>(c)], b = norm.b[static_cast<size_t>(c)];
      for (int64_t i = 0; i < pixels; ++i) {
        const float v = static_cast<float>(dn[base + i]);
        if (dn[base + i] == 0) {
          out[base + i] = 0.0f;
        } else if (norm.mode == NormalizationMode::standard) {
          out[base + i] = (v - a) / b;
        } else {
          const float z = (std::log(v * 0.005f + 1.0f) - a) / b;
          out[base + i] = 1.0f / (1.0f + std::exp(-(5.0f * z - 1.0f)));
        }
      }
    }
}

}  // namespace strata::nn
