#include "nn/ops/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

void CrossEntropyShape::check_label(uint8_t y) const {
  if (y != kIgnoreLabel && y >= c)
    throw Error("cross_entropy: label " + std::to_string(y) + " is not a class (0.." + std::to_string(c - 1) +
                ") nor the ignore index 255");
}

void CrossEntropyShape::validate() const {
  check(n > 0 && c > 0 && hw > 0, "cross_entropy: every dimension must be > 0");
  check(c < kIgnoreLabel, "cross_entropy: at most 254 classes");
  check(label_smoothing >= 0.0f && label_smoothing <= 1.0f, "cross_entropy: label smoothing must be in [0, 1]");
  (void)checked_product({n, c, hw});
}

float cross_entropy_reference(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                              const float* class_weights, float* dlogits) {
  s.validate();
  const double eps = s.label_smoothing;
  auto weight = [&](int64_t k) { return class_weights ? static_cast<double>(class_weights[k]) : 1.0; };
  double wsum_classes = 0.0;
  for (int64_t k = 0; k < s.c; ++k) wsum_classes += weight(k);

  double total = 0.0, denom = 0.0;
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t i = 0; i < s.hw; ++i) {
      const uint8_t y = labels[b * s.hw + i];
      if (y == kIgnoreLabel) continue;
      s.check_label(y);
      const float* z = logits + b * s.c * s.hw + i;
      double mx = z[0];
      for (int64_t k = 1; k < s.c; ++k) mx = std::max(mx, static_cast<double>(z[k * s.hw]));
      double sum = 0.0;
      for (int64_t k = 0; k < s.c; ++k) sum += std::exp(z[k * s.hw] - mx);
      const double lse = mx + std::log(sum);  // -log p_k = lse - z_k
      double smooth = 0.0;
      for (int64_t k = 0; k < s.c; ++k) smooth += weight(k) * (lse - z[k * s.hw]);
      total += (1.0 - eps) * weight(y) * (lse - z[y * s.hw]) + eps / static_cast<double>(s.c) * smooth;
      denom += weight(y);
    }

  if (dlogits) std::fill(dlogits, dlogits + s.n * s.c * s.hw, 0.0f);
  if (denom == 0.0) return 0.0f;
  if (dlogits) {
    // d(-log p_k)/dz = p - e_k, so dz = [((1-eps) w_y + eps/C sum_c w_c) p - (1-eps) w_y e_y - eps/C w] / W.
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t i = 0; i < s.hw; ++i) {
        const uint8_t y = labels[b * s.hw + i];
        if (y == kIgnoreLabel) continue;
        const float* z = logits + b * s.c * s.hw + i;
        double mx = z[0];
        for (int64_t k = 1; k < s.c; ++k) mx = std::max(mx, static_cast<double>(z[k * s.hw]));
        double sum = 0.0;
        for (int64_t k = 0; k < s.c; ++k) sum += std::exp(z[k * s.hw] - mx);
        const double a = (1.0 - eps) * weight(y) + eps / static_cast<double>(s.c) * wsum_classes;
        for (int64_t k = 0; k < s.c; ++k) {
          const double p = std::exp(z[k * s.hw] - mx) / sum;
          double g = a * p - eps / static_cast<double>(s.c) * weight(k);
          if (k == y) g -= (1.0 - eps) * weight(y);
          dlogits[b * s.c * s.hw + k * s.hw + i] = static_cast<float>(g / denom);
        }
      }
  }
  return static_cast<float>(total / denom);
}

}  // namespace strata::nn
