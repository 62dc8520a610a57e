#pragma once
// Where a training step's time goes, summed over an epoch: waiting for and uploading the batch,
// forward + backward, waiting for the other ranks (the first, 16-byte all-reduce after the
// compute, and the stop flag's: they absorb the ranks' differences in speed), the gradient
// all-reduce (ranks already in step: mostly the transfer), and the optimizer. What the scaling
// model in docs/training.md is fed with.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace strata::pipeline {

enum class StepPhase { data, compute, wait, allreduce, optimizer };
inline constexpr int kStepPhases = 5;

struct StepTimes {
  std::array<double, kStepPhases> seconds{};
  int64_t steps = 0;

  double& operator[](StepPhase p) { return seconds[static_cast<size_t>(p)]; }
  double operator[](StepPhase p) const { return seconds[static_cast<size_t>(p)]; }
  double total() const;
  StepTimes& operator+=(const StepTimes& other);
  // {"steps": n, "data_s": .., "compute_s": .., "wait_s": .., "allreduce_s": .., "optimizer_s": ..}
  nlohmann::json to_json() const;
  // "data 1.2%, compute 94.0%, wait 1.0%, all-reduce 0.9%, optimizer 2.9% of 12.3 s (45.6 ms a step)"
  std::string describe() const;
};

// Charges the time since the previous lap to a phase.
class PhaseClock {
 public:
  explicit PhaseClock(StepTimes& times) : times_(times), last_(Clock::now()) {}
  void lap(StepPhase phase) {
    const auto now = Clock::now();
    times_[phase] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  // Starts the next lap now, charging nobody (checkpoints, logging).
  void skip() { last_ = Clock::now(); }

 private:
  using Clock = std::chrono::steady_clock;
  StepTimes& times_;
  Clock::time_point last_;
};

}  // namespace strata::pipeline
