#pragma once
// How far one input pixel's change reaches in a model's output: the largest Chebyshev distance
// from (at, at) of a logit that moves when every band of that pixel moves by `delta`, on a
// size x size image. The receptive-field tests hold it against nn::receptive_radius, which
// predict's halo relies on.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "nn/model.h"

namespace strata::test {

inline int64_t input_pixel_reach(nn::Model& model, std::vector<float> x, int64_t size, int64_t at, float delta) {
  const nn::ModelConfig& c = model.config();
  auto logits = [&](const std::vector<float>& in) {
    const nn::Act y = model.forward(in.data(), 1, size, size, false);
    return std::vector<float>(y.data, y.data + y.numel());
  };
  const std::vector<float> base = logits(x);
  for (int64_t b = 0; b < c.in_bands; ++b) x[static_cast<size_t>((b * size + at) * size + at)] += delta;
  const std::vector<float> moved = logits(x);
  int64_t reach = 0;
  for (int64_t k = 0; k < c.classes; ++k)
    for (int64_t y = 0; y < size; ++y)
      for (int64_t xx = 0; xx < size; ++xx) {
        const size_t i = static_cast<size_t>((k * size + y) * size + xx);
        if (moved[i] != base[i]) reach = std::max({reach, std::abs(y - at), std::abs(xx - at)});
      }
  return reach;
}

}  // namespace strata::test
