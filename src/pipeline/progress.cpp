#include "pipeline/progress.h"

#include <algorithm>
#include <cmath>
#include <unistd.h>

namespace strata::pipeline {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

std::string format_rate(double px_per_s) {
  char buf[32];
  if (!std::isfinite(px_per_s) || px_per_s <= 0) return "-- px/s";
  if (px_per_s >= 1e9) std::snprintf(buf, sizeof buf, "%.2f Gpx/s", px_per_s / 1e9);
  else if (px_per_s >= 1e6) std::snprintf(buf, sizeof buf, "%.2f Mpx/s", px_per_s / 1e6);
  else if (px_per_s >= 1e3) std::snprintf(buf, sizeof buf, "%.1f kpx/s", px_per_s / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f px/s", px_per_s);
  return buf;
}

std::string format_progress(const ProgressLine& l) {
  const int width = std::max(1, l.bar_width);
  const double done = l.steps > 0 ? std::clamp(static_cast<double>(l.step) / static_cast<double>(l.steps), 0.0, 1.0) : 0.0;
  const int filled = static_cast<int>(done * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  char head[96], tail[64];
  std::snprintf(head, sizeof head, "epoch %lld/%lld [", static_cast<long long>(l.epoch), static_cast<long long>(l.epochs));
  std::snprintf(tail, sizeof tail, "] step %lld/%lld loss %.4f ", static_cast<long long>(l.step),
                static_cast<long long>(l.steps), l.loss);
  std::string s = head;
  s += bar;
  s += tail;
  s += format_rate(l.px_per_s);
  s += " ETA ";
  s += format_duration(l.eta_s);
  return s;
}

ProgressBar::ProgressBar(int64_t epochs, int64_t steps_per_epoch, int64_t total_steps_left, std::FILE* out)
    : out_(out && isatty(fileno(out)) ? out : nullptr), steps_left_(total_steps_left), run_start_(Clock::now()) {
  line_.epochs = epochs;
  line_.steps = steps_per_epoch;
}

void ProgressBar::start_epoch(int64_t epoch, int64_t first_step) {
  line_.epoch = epoch + 1;
  line_.step = first_step;
  line_.px_per_s = 0;
  epoch_pixels_ = 0;
  epoch_start_ = Clock::now();
}

void ProgressBar::step(double loss, double pixels) {
  // An exponential average over about 20 steps: a batch's loss is noisy.
  line_.loss = have_loss_ ? 0.95 * line_.loss + 0.05 * loss : loss;
  have_loss_ = true;
  ++line_.step;
  ++steps_done_;
  epoch_pixels_ += pixels;
  const auto now = Clock::now();
  const double epoch_s = std::chrono::duration<double>(now - epoch_start_).count();
  const double run_s = std::chrono::duration<double>(now - run_start_).count();
  if (epoch_s > 0) line_.px_per_s = epoch_pixels_ / epoch_s;
  line_.eta_s = run_s / static_cast<double>(steps_done_) * static_cast<double>(std::max<int64_t>(0, steps_left_ - steps_done_));
  // A terminal redrawn more than ~10 times a second only flickers.
  if (line_.step == line_.steps || now - last_draw_ >= std::chrono::milliseconds(100)) {
    draw();
    last_draw_ = now;
  }
}

void ProgressBar::draw() {
  if (!out_) return;
  std::fprintf(out_, "\r%s\033[K", format_progress(line_).c_str());
  std::fflush(out_);
}

void ProgressBar::clear() {
  if (!out_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
}

}  // namespace strata::pipeline
