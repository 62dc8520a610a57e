#pragma once
// The training progress bar: one line on a terminal, redrawn in place with '\r'. The text is a
// pure function of the numbers (format_progress, tested); ProgressBar keeps the clock, the
// smoothed loss and the rate, and draws only when stderr is a terminal (else the caller logs).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace strata::pipeline {

struct ProgressLine {
  int64_t epoch = 1, epochs = 1;  // 1-based
  int64_t step = 0, steps = 0;    // within the epoch
  double loss = 0;                // smoothed
  double px_per_s = 0;            // training pixels (all ranks) per second; 0: not known yet
  double eta_s = -1;              // seconds to the end of the run; < 0: not known yet
  int bar_width = 20;
};

// "epoch 2/10 [######..............] step 17/57 loss 0.4213 1.52 Mpx/s ETA 3:07"
std::string format_progress(const ProgressLine& line);
// 59 -> "0:59", 3725 -> "1:02:05"; negative or not finite -> "--:--".
std::string format_duration(double seconds);
// 950 -> "950 px/s", 1.52e6 -> "1.52 Mpx/s".
std::string format_rate(double px_per_s);

class ProgressBar {
 public:
  // Draws on `out` only if it is a terminal; `enabled()` says whether it does.
  ProgressBar(int64_t epochs, int64_t steps_per_epoch, int64_t total_steps_left, std::FILE* out = stderr);
  bool enabled() const { return out_ != nullptr; }
  void start_epoch(int64_t epoch /* 0-based */, int64_t first_step);
  // After a step: its loss and the pixels it trained on (all ranks).
  void step(double loss, double pixels);
  // Clears the line so that a log line can be printed in its place.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  void draw();
  std::FILE* out_;
  ProgressLine line_;
  int64_t steps_left_, steps_done_ = 0;
  bool have_loss_ = false;
  double epoch_pixels_ = 0;
  Clock::time_point run_start_, epoch_start_, last_draw_{};
};

}  // namespace strata::pipeline
