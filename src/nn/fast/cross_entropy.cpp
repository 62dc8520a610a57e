#include "nn/fast/cross_entropy.h"

#include <algorithm>
#include <cmath>


namespace strata::nn::fast {

float cross_entropy(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                    const float* class_weights, float* dlogits, double* counted_weight) {
  s.validate();
  const float eps = s.label_smoothing, eps_c = eps / static_cast<float>(s.c);
  auto weight = [&](int64_t k) { return class_weights ? class_weights[k] : 1.0f; };
  double wsum_classes = 0.0;
  for (int64_t k = 0; k < s.c; ++k) wsum_classes += weight(k);
  float e[kIgnoreLabel];  // exp(z_k - max) of one pixel; validate() keeps c below 255
  double total = 0.0, denom = 0.0;
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t i = 0; i < s.hw; ++i) {
      const uint8_t y = labels[b * s.hw + i];
      float* g = dlogits ? dlogits + b * s.c * s.hw + i : nullptr;
      if (y == kIgnoreLabel) {
        if (g)
          for (int64_t k = 0; k < s.c; ++k) g[k * s.hw] = 0.0f;
        continue;
      }
      s.check_label(y);
      const float* z = logits + b * s.c * s.hw + i;
      float mx = z[0];
      for (int64_t k = 1; k < s.c; ++k) mx = std::max(mx, z[k * s.hw]);
      float sum = 0.0f;
      for (int64_t k = 0; k < s.c; ++k) sum += e[k] = std::exp(z[k * s.hw] - mx);
      const float lse = mx + std::log(sum);  // -log p_k = lse - z_k
      float smooth = 0.0f;
      for (int64_t k = 0; k < s.c; ++k) smooth += weight(k) * (lse - z[k * s.hw]);
      const float wy = weight(y);
      total += static_cast<double>((1.0f - eps) * wy * (lse - z[y * s.hw]) + eps_c * smooth);
      denom += wy;
      if (!g) continue;
      // Unnormalised as in the reference: [a p - eps/C w - (1 - eps) w_y e_y], scaled by 1/W below.
      const float a = (1.0f - eps) * wy + eps_c * static_cast<float>(wsum_classes), inv = 1.0f / sum;
      for (int64_t k = 0; k < s.c; ++k) g[k * s.hw] = a * e[k] * inv - eps_c * weight(k);
      g[y * s.hw] -= (1.0f - eps) * wy;
    }
  if (counted_weight) *counted_weight = denom;
  if (denom == 0.0) {
    if (dlogits) std::fill(dlogits, dlogits + s.n * s.c * s.hw, 0.0f);
    return 0.0f;
  }
  if (dlogits) {
    const float scale = static_cast<float>(1.0 / denom);
    for (int64_t j = 0; j < s.n * s.c * s.hw; ++j) dlogits[j] *= scale;
  }
  return static_cast<float>(total / denom);
}

}  // namespace strata::nn::fast
