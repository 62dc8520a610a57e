#include "pipeline/step_times.h"

#include <cstdio>

namespace strata::pipeline {
namespace {
constexpr std::array<const char*, kStepPhases> kNames = {"data", "compute", "wait", "allreduce", "optimizer"};
constexpr std::array<const char*, kStepPhases> kLabels = {"data", "compute", "wait", "all-reduce", "optimizer"};
}  // namespace

double StepTimes::total() const {
  double t = 0;
  for (double s : seconds) t += s;
  return t;
}

StepTimes& StepTimes::operator+=(const StepTimes& o) {
  for (size_t i = 0; i < seconds.size(); ++i) seconds[i] += o.seconds[i];
  steps += o.steps;
  return *this;
}

nlohmann::json StepTimes::to_json() const {
  nlohmann::json j{{"steps", steps}};
  for (size_t i = 0; i < seconds.size(); ++i) j[std::string(kNames[i]) + "_s"] = seconds[i];
  return j;
}

std::string StepTimes::describe() const {
  const double t = total();
  std::string s;
  char buf[64];
  for (size_t i = 0; i < seconds.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%s %.1f%%", i ? ", " : "", kLabels[i], t > 0 ? 100.0 * seconds[i] / t : 0.0);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, " of %.3g s (%.3g ms a step)", t, steps > 0 ? 1e3 * t / static_cast<double>(steps) : 0.0);
  s += buf;
  return s;
}

}  // namespace strata::pipeline
