#pragma once
// Softmax cross-entropy per pixel with ignore index, per-class weights and label smoothing,
// averaged exactly as PyTorch's F.cross_entropy(logits, labels, weight=w, ignore_index=255,
// label_smoothing=eps, reduction="mean"):
//   loss = 1/W * sum_i [ (1 - eps) w[y_i] (-log p_i[y_i]) + eps/C sum_c w[c] (-log p_i[c]) ]
//   W    = sum over non-ignored pixels i of w[y_i]
// Pixels labelled 255 contribute nothing. When no pixel counts (W = 0) the loss and its
// gradient are 0 (PyTorch returns NaN there; a batch of clouds must not poison training).
#include <cstdint>

namespace strata::nn {

inline constexpr uint8_t kIgnoreLabel = 255;

struct CrossEntropyShape {
  int64_t n = 1, c = 1, hw = 1;
  float label_smoothing = 0.0f;
  void validate() const;
  void check_label(uint8_t y) const;  // Error unless y is a class or the ignore label
};

// logits [n, c, hw], labels [n, hw] (0..c-1 or 255), class_weights [c] or null (all 1).
// Returns the loss; writes dloss/dlogits into dlogits unless it is null.
// A label outside 0..c-1 other than 255 is an Error.
float cross_entropy_reference(const CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                              const float* class_weights, float* dlogits);

}  // namespace strata::nn
