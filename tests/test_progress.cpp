// The training progress bar's text, and that it stays off where stderr is not a terminal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "pipeline/progress.h"

using namespace strata::pipeline;

namespace {

TEST(Progress, Durations) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(59.4), "0:59");
  EXPECT_EQ(format_duration(59.6), "1:00");
  EXPECT_EQ(format_duration(3599), "59:59");
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(100 * 3600.0), "100:00:00");
  EXPECT_EQ(format_duration(-1), "--:--");
  EXPECT_EQ(format_duration(NAN), "--:--");
  EXPECT_EQ(format_duration(INFINITY), "--:--");
}

TEST(Progress, Rates) {
  EXPECT_EQ(format_rate(950), "950 px/s");
  EXPECT_EQ(format_rate(12345), "12.3 kpx/s");
  EXPECT_EQ(format_rate(1.524e6), "1.52 Mpx/s");
  EXPECT_EQ(format_rate(2.5e9), "2.50 Gpx/s");
  EXPECT_EQ(format_rate(0), "-- px/s");
  EXPECT_EQ(format_rate(NAN), "-- px/s");
}

TEST(Progress, Line) {
  ProgressLine l;
  l.epoch = 2;
  l.epochs = 10;
  l.step = 17;
  l.steps = 57;
  l.loss = 0.42131;
  l.px_per_s = 1.52e6;
  l.eta_s = 187;
  EXPECT_EQ(format_progress(l), "epoch 2/10 [#####...............] step 17/57 loss 0.4213 1.52 Mpx/s ETA 3:07");
  l.step = 57;
  EXPECT_EQ(format_progress(l), "epoch 2/10 [####################] step 57/57 loss 0.4213 1.52 Mpx/s ETA 3:07");
  // Before the first step: an empty bar, no rate, no ETA.
  ProgressLine start;
  start.steps = 57;
  start.bar_width = 4;
  EXPECT_EQ(format_progress(start), "epoch 1/1 [....] step 0/57 loss 0.0000 -- px/s ETA --:--");
  // A step count past the epoch (a wrapped last batch) never overfills the bar.
  start.step = 99;
  EXPECT_EQ(format_progress(start).substr(0, 16), "epoch 1/1 [####]");
}

TEST(Progress, OffWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressBar bar(3, 10, 30, f);
  EXPECT_FALSE(bar.enabled());
  bar.start_epoch(0, 0);
  bar.step(1.0, 4096);
  bar.clear();
  EXPECT_EQ(std::ftell(f), 0) << "nothing is written to a file";
  std::fclose(f);
  EXPECT_FALSE(ProgressBar(3, 10, 30, nullptr).enabled());
}

}  // namespace
