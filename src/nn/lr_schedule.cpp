#include "nn/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace strata::nn {

void LrSchedule::validate() const {
  check(std::isfinite(base_lr) && base_lr >= 0.0f && min_lr >= 0.0f && min_lr <= base_lr,
        "lr schedule: need 0 <= min_lr <= base_lr");
  check(warmup_steps >= 0 && total_steps >= 1 && warmup_steps <= total_steps,
        "lr schedule: need 0 <= warmup_steps <= total_steps and total_steps >= 1");
}

float LrSchedule::at(int64_t step) const {
  validate();
  check(step >= 0, "lr schedule: negative step");
  if (step < warmup_steps) return base_lr * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - warmup_steps) / static_cast<double>(span));
  return static_cast<float>(min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * progress)));
}

}  // namespace strata::nn
