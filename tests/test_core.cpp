#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "core/checked.h"
#include "core/classes.h"
#include "core/error.h"
#include "core/tensor.h"

using namespace strata;

TEST(Checked, MultipliesBeyondInt32) {
  // A global 10 m raster: 4,007,501 x 2,003,750 pixels x 13 bands passes 2^31 many times over.
  EXPECT_EQ(checked_product({4007501, 2003750, 13}), int64_t{4007501} * 2003750 * 13);
}

TEST(Checked, OverflowIsAnError) {
  EXPECT_THROW(checked_mul(std::numeric_limits<int64_t>::max() / 2, 3), Error);
  EXPECT_THROW(checked_mul(-1, 3), Error);
}

TEST(Tensor, ShapeAndFill) {
  TensorU16 t(Shape{2, 3, 4}, 7);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t[23], 7);
  EXPECT_EQ(t.shape().str(), "[2, 3, 4]");
  EXPECT_THROW(Shape({2, -1}), Error);
}

TEST(Classes, NineInDynamicWorldOrder) {
  EXPECT_EQ(kNumClasses, 9);
  EXPECT_STREQ(class_names()[0], "water");
  EXPECT_STREQ(class_names()[8], "snow_and_ice");
  EXPECT_EQ(class_index("shrub_and_scrub"), 5);
  EXPECT_FALSE(class_index("forest").has_value());
}

TEST(Error, WhereNamesFileAndLine) {
  const std::string w = where();
  EXPECT_NE(w.find("test_core.cpp:"), std::string::npos) << w;
}
