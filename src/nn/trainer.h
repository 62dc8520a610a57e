#pragma once
// One training step: forward, softmax cross-entropy (ignore 255, class weights, label
// smoothing), backward, Adam at the scheduled learning rate. Inputs are device pointers;
// non-finite inputs are refused before they reach the weights.
#include <cstdint>
#include <vector>

#include "nn/lr_schedule.h"
#include "nn/model.h"
#include "nn/optimizer.h"

namespace strata::nn {

struct LossConfig {
  std::vector<float> class_weights;  // empty: all 1
  float label_smoothing = 0.0f;
};

class Trainer {
 public:
  Trainer(Model& model, AdamConfig adam, LrSchedule schedule, LossConfig loss);
  // x [n, bands, h, w], labels [n, h, w]; returns the loss before the update.
  float step(const float* x, const uint8_t* labels, int64_t n, int64_t h, int64_t w);
  // Loss and gradients without an update (training-mode forward), for tests and checks.
  float loss_and_gradients(const float* x, const uint8_t* labels, int64_t n, int64_t h, int64_t w);
  Adam& optimizer() { return adam_; }
  const LrSchedule& schedule() const { return schedule_; }

 private:
  Model& model_;
  Adam adam_;
  LrSchedule schedule_;
  LossConfig loss_;
  std::unique_ptr<DeviceBuffer> class_weights_;
  ActBuffer dlogits_;
};

// Refuses (Error) an input with NaN or Inf, naming how many.
void check_finite_input(Backend& be, const float* x, int64_t count, const char* what);

// Inference: per-pixel class probabilities [n, classes, h, w] in a buffer this object owns.
class Predictor {
 public:
  explicit Predictor(Model& model) : model_(model) {}
  Act probabilities(const float* x, int64_t n, int64_t h, int64_t w);

 private:
  Model& model_;
  ActBuffer probs_;
};

}  // namespace strata::nn
