// predict's tiling: tiles cover the grid once, inputs are the tile plus halo clipped to the grid
// with origins on the model's multiple, and padding repeats the last row and column.
#include <gtest/gtest.h>

#include "core/error.h"
#include "pipeline/predict_tiles.h"

using namespace strata;
using pipeline::plan_tiles;

TEST(PredictTiles, CoverTheGridOnceWithAlignedHaloedInputs) {
  const auto tiles = plan_tiles(250, 130, 64, 28, 4);
  ASSERT_EQ(tiles.size(), 4u * 3u);
  std::vector<int> covered(250 * 130, 0);
  for (const auto& t : tiles) {
    for (int64_t y = t.tile.y; y < t.tile.y + t.tile.height; ++y)
      for (int64_t x = t.tile.x; x < t.tile.x + t.tile.width; ++x) ++covered[static_cast<size_t>(y * 250 + x)];
    EXPECT_EQ(t.input.x % 4, 0);
    EXPECT_EQ(t.input.y % 4, 0);
    EXPECT_EQ(t.input.x, std::max<int64_t>(0, t.tile.x - 28));
    EXPECT_EQ(t.input.x + t.input.width, std::min<int64_t>(250, t.tile.x + t.tile.width + 28));
    EXPECT_EQ(t.padded_width % 4, 0);
    EXPECT_LT(t.padded_width - t.input.width, 4);
  }
  for (int c : covered) ASSERT_EQ(c, 1);
  EXPECT_EQ(tiles.back().tile.width, 250 - 192);  // the last column of tiles is narrower
  EXPECT_EQ(tiles.back().input.width, 250 - 164);
  EXPECT_EQ(tiles.back().padded_width, 88);
}

TEST(PredictTiles, RefusesTilesAndHalosOffTheMultiple) {
  EXPECT_THROW(plan_tiles(100, 100, 90, 28, 4), UsageError);
  EXPECT_THROW(plan_tiles(100, 100, 64, 6, 4), UsageError);
  EXPECT_NO_THROW(plan_tiles(100, 100, 90, 5, 1));
  EXPECT_EQ(pipeline::auto_halo(26, 4), 28);
  EXPECT_EQ(pipeline::auto_halo(4, 1), 4);
}

TEST(PredictTiles, PaddingRepeatsTheLastRowAndColumn) {
  const std::vector<uint16_t> in = {1, 2, 3, 4, 5, 6};  // 1 band, 2 x 3
  std::vector<uint16_t> out(4 * 4);
  pipeline::pad_replicate(in.data(), 1, 2, 3, 4, 4, out.data());
  EXPECT_EQ(out, (std::vector<uint16_t>{1, 2, 3, 3, 4, 5, 6, 6, 4, 5, 6, 6, 4, 5, 6, 6}));
}
