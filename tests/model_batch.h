#pragma once
// A training batch for the model tests (CPU: test_nn_models.cpp; CUDA: test_cuda_nn.cpp) whose
// labels depend on the input (the signs of bands 0 and 1), so that there is something to learn;
// every 11th pixel is ignored (255).
#include <cstdint>
#include <vector>

#include "nn/model.h"
#include "nn/ops/cross_entropy.h"
#include "op_test_util.h"

namespace strata::test {

struct Batch {
  std::vector<float> x;
  std::vector<uint8_t> labels;
  int64_t n, h, w;
};

inline Batch make_batch(const nn::ModelConfig& c, int64_t n, int64_t h, int64_t w, uint64_t seed) {
  Batch b{random_floats(n * c.in_bands * h * w, seed), {}, n, h, w};
  b.labels.resize(static_cast<size_t>(n * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < h * w; ++p) {
      const float a = b.x[static_cast<size_t>((i * c.in_bands + 0) * h * w + p)];
      const float d = b.x[static_cast<size_t>((i * c.in_bands + 1) * h * w + p)];
      b.labels[static_cast<size_t>(i * h * w + p)] =
          p % 11 == 0 ? nn::kIgnoreLabel : static_cast<uint8_t>((a > 0 ? 1 : 0) + (d > 0 ? 2 : 0));
    }
  return b;
}

}  // namespace strata::test
