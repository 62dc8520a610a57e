#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "pipeline/metrics.h"

using namespace strata;
using namespace strata::pipeline;

namespace {

TEST(Metrics, HandComputedCase) {
  // truth:      0 0 0 1 1 2 255
  // prediction: 0 0 1 1 2 2 0
  const uint8_t truth[] = {0, 0, 0, 1, 1, 2, 255};
  const uint8_t pred[] = {0, 0, 1, 1, 2, 2, 0};
  ConfusionMatrix m;
  m.add(truth, pred, 7);
  EXPECT_EQ(m.total(), 6);
  EXPECT_DOUBLE_EQ(m.accuracy(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.precision(0), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.iou(0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.iou(1), 1.0 / 3.0);  // tp 1, fn 1, fp 1
  EXPECT_DOUBLE_EQ(m.iou(2), 1.0 / 2.0);  // tp 1, fp 1
  EXPECT_TRUE(std::isnan(m.iou(5)));
  EXPECT_DOUBLE_EQ(m.mean_iou(), (2.0 / 3 + 1.0 / 3 + 1.0 / 2) / 3);
  EXPECT_DOUBLE_EQ(m.balanced_accuracy(), (2.0 / 3 + 1.0 / 2 + 1.0) / 3);
  EXPECT_NE(m.table().find("mean IoU 0.5000"), std::string::npos) << m.table();
  EXPECT_NE(m.json().find("\"mean_iou\":0.5"), std::string::npos) << m.json();
}

TEST(Metrics, BadClassIsAnError) {
  const uint8_t truth[] = {9};
  const uint8_t pred[] = {0};
  ConfusionMatrix m;
  EXPECT_THROW(m.add(truth, pred, 1), Error);
}

}  // namespace
