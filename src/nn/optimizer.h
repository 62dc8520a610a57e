#pragma once
// Adam / AdamW over a model's trained parameters, with the moments on the same backend.
// The moments are state ("adam.m.<param>", "adam.v.<param>") so that a resumed run continues
// exactly where the checkpoint left it.
#include <memory>
#include <string>
#include <vector>

#include "nn/param.h"

namespace strata::nn {

struct AdamConfig {
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  bool decoupled = false;  // true: AdamW
};

class Adam {
 public:
  Adam(ParamSet& params, AdamConfig config);
  // One update of every trained parameter from its gradient, at learning rate lr.
  void step(float lr);
  int64_t steps_taken() const { return steps_; }
  void set_steps_taken(int64_t steps) { steps_ = steps; }
  const AdamConfig& config() const { return config_; }
  ParamSet& moments() { return moments_; }  // "adam.m.<name>" and "adam.v.<name>"

 private:
  struct Slot {
    Param* param;
    Param* m;
    Param* v;
  };
  AdamConfig config_;
  ParamSet moments_;
  std::vector<Slot> slots_;
  int64_t steps_ = 0;
};

}  // namespace strata::nn
