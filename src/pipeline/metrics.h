#pragma once
// Segmentation metrics from a confusion matrix over the 9 classes: pixel accuracy, balanced
// accuracy, per-class precision, recall and IoU, mean IoU. Used by train's validation, evaluate.
#include <array>
#include <cstdint>
#include <string>

#include "core/classes.h"

namespace strata::pipeline {

class ConfusionMatrix {
 public:
  // Counts (truth, prediction) pairs; truth 255 (ignore) is skipped. Error for a value > 8.
  void add(const uint8_t* truth, const uint8_t* predicted, int64_t n);
  int64_t& at(int truth, int predicted) { return m_[static_cast<size_t>(truth * kNumClasses + predicted)]; }
  int64_t at(int truth, int predicted) const { return m_[static_cast<size_t>(truth * kNumClasses + predicted)]; }
  int64_t* data() { return m_.data(); }  // row-major [truth][prediction], for all-reduce
  int64_t total() const;
  ConfusionMatrix& operator+=(const ConfusionMatrix& other);

  double accuracy() const;
  double balanced_accuracy() const;  // mean recall over classes present in the truth
  double precision(int c) const;     // NaN when nothing was predicted as c
  double recall(int c) const;        // NaN when c is absent from the truth
  double iou(int c) const;           // NaN when c is neither in truth nor predictions
  double mean_iou() const;           // over the classes where IoU is defined

  std::string table() const;  // per-class rows and the confusion matrix, for a terminal
  std::string json() const;   // one JSON object (no newline)

 private:
  std::array<int64_t, kNumClasses * kNumClasses> m_{};
};

}  // namespace strata::pipeline
