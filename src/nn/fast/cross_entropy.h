#pragma once
// The fast CPU path of the softmax cross-entropy (contract: nn/ops/cross_entropy.h): each
// pixel in float with one exp per class (kept for the gradient) and one log, the sums over
// pixels in double; the reference takes two double exps per class and pixel.
#include "nn/ops/cross_entropy.h"

namespace strata::nn::fast {

// counted_weight, when given, receives W (the sum of w[y] over the counted pixels), which a
// caller combining several parts needs.
float cross_entropy(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                    const float* class_weights, float* dlogits, double* counted_weight = nullptr);

}  // namespace strata::nn::fast
