#pragma once
// Learning rate per step: linear warm-up from base_lr / warmup_steps to base_lr over the
// first warmup_steps steps, then a half cosine from base_lr down to min_lr at total_steps,
// and min_lr after that. Steps count from 0.
#include <cstdint>

namespace strata::nn {

struct LrSchedule {
  float base_lr = 1e-3f;
  float min_lr = 0.0f;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  void validate() const;
  float at(int64_t step) const;
};

}  // namespace strata::nn
