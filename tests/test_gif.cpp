// The GIF encoder against an independent decoder (gif_reader.h) and against GDAL's GIF driver.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/error.h"
#include "geo/gif.h"
#include "geo/raster.h"
#include "gif_reader.h"
#include "test_util.h"

using namespace strata;
using namespace strata::geo;
using strata::test::TempDir;

namespace {

void expect_round_trip(const std::vector<uint8_t>& indices, int min_code_size) {
  const auto decoded = test::gif_lzw_decode(gif_lzw_encode(indices, min_code_size), min_code_size);
  ASSERT_EQ(decoded.size(), indices.size()) << "min code size " << min_code_size;
  EXPECT_EQ(decoded, indices) << "min code size " << min_code_size;
}

TEST(GifLzw, RoundTripsEveryLengthAroundTheCodeWidthSteps) {
  // Short inputs of 2..4 symbols cross each code-width step and the end code's width.
  std::mt19937 rng(1);
  for (int symbols : {2, 3, 4}) {
    std::uniform_int_distribution<int> pick(0, symbols - 1);
    for (size_t n = 1; n <= 700; ++n) {
      std::vector<uint8_t> v(n);
      for (auto& x : v) x = static_cast<uint8_t>(pick(rng));
      expect_round_trip(v, 2);
    }
  }
}

TEST(GifLzw, RoundTripsNoiseThatFillsTheTableManyTimes) {
  std::mt19937 rng(2);
  for (int bits : {2, 4, 8}) {
    std::uniform_int_distribution<int> pick(0, (1 << bits) - 1);
    std::vector<uint8_t> v(200000);
    for (auto& x : v) x = static_cast<uint8_t>(pick(rng));
    expect_round_trip(v, bits);
  }
  expect_round_trip(std::vector<uint8_t>(100000, 3), 2);  // one long run: long strings, few codes
}

TEST(GifQuantize, KeepsFewColoursExactlyAndMapsManyToTheFixedPalette) {
  Image few(4, 2, {10, 20, 30, 255});
  few.at(1, 0) = {0, 0, 0, 0};  // transparent
  few.at(2, 1) = {200, 100, 50, 255};
  const IndexedImage q = quantize(few);
  EXPECT_EQ(q.transparent, 0);
  ASSERT_EQ(q.palette.size(), 3u);
  EXPECT_EQ(q.indices[1], 0);
  const RGBA c = q.palette[q.indices[6]];
  EXPECT_EQ(c, (RGBA{200, 100, 50, 255}));

  Image many(300, 300);
  for (int64_t y = 0; y < 300; ++y)
    for (int64_t x = 0; x < 300; ++x) many.at(x, y) = {static_cast<uint8_t>(x % 256), static_cast<uint8_t>(y % 256), 128, 255};
  const IndexedImage m = quantize(many);
  EXPECT_EQ(m.transparent, -1);
  EXPECT_EQ(m.palette.size(), 256u);
  for (size_t i = 0; i < many.pixels.size(); i += 997) {
    const RGBA a = many.pixels[i], b = m.palette[m.indices[i]];
    EXPECT_LE(std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b), 3 * 30) << i;
  }
}

TEST(GifWriter, AnimationDecodesFrameByFrameAndGdalReadsIt) {
  TempDir dir;
  const std::string path = dir / "anim.gif";
  std::vector<Image> frames;
  for (int k = 0; k < 3; ++k) {
    Image im(61, 37, {0, 0, 0, 0});
    for (int64_t y = 0; y < im.height; ++y)
      for (int64_t x = 0; x < im.width; ++x)
        if ((x + y + k) % 7) im.at(x, y) = {static_cast<uint8_t>(40 * k), static_cast<uint8_t>(x % 8 * 30), static_cast<uint8_t>(y % 4 * 60), 255};
    frames.push_back(im);
  }
  {
    GifWriter w(path, 61, 37);
    for (size_t k = 0; k < frames.size(); ++k) w.add_frame(frames[k], 25 + static_cast<int>(k));
    EXPECT_FALSE(std::filesystem::exists(path)) << "visible before commit";
    w.commit();
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  const test::GifFile g = test::read_gif(path);
  EXPECT_EQ(g.width, 61);
  EXPECT_EQ(g.height, 37);
  EXPECT_EQ(g.loop, 0) << "loops forever";
  ASSERT_EQ(g.frames.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const test::GifFrame& f = g.frames[k];
    EXPECT_EQ(f.delay_cs, 25 + static_cast<int>(k));
    EXPECT_EQ(f.disposal, 2);
    ASSERT_GE(f.transparent, 0);
    for (size_t i = 0; i < f.indices.size(); ++i) {
      const RGBA want = frames[k].pixels[i];
      const int idx = f.indices[i];
      if (want.a == 0) {
        EXPECT_EQ(idx, f.transparent);
        continue;
      }
      const RGBA got{f.palette[3 * static_cast<size_t>(idx)], f.palette[3 * static_cast<size_t>(idx) + 1],
                     f.palette[3 * static_cast<size_t>(idx) + 2], 255};
      ASSERT_EQ(got, want) << "frame " << k << " pixel " << i;  // < 256 colours: exact
    }
  }

  // GDAL (giflib) decodes the first frame to the same indices and colours; GDAL 3.6 shows
  // every frame of one size as a band.
  const Raster r = Raster::open(path);
  EXPECT_EQ(r.grid().width, 61);
  ASSERT_GE(r.band_count(), 1);
  for (int b = 0; b < std::min(r.band_count(), 3); ++b) {
    std::vector<uint8_t> idx(61 * 37);
    r.read<uint8_t>({b}, r.grid().full(), idx.data());
    EXPECT_EQ(idx, g.frames[static_cast<size_t>(b)].indices) << "band " << b;
  }
  const auto table = r.color_table(0);
  ASSERT_GE(table.size(), 2u);
  EXPECT_EQ(table[g.frames[0].indices[1]].g, frames[0].pixels[1].g);
}

TEST(GifWriter, GdalDecodesNoiseThatFillsTheCodeTable) {
  TempDir dir;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> pick(0, 255);
  Image noise(317, 211);
  for (auto& p : noise.pixels) {
    const auto v = static_cast<uint8_t>(pick(rng));
    p = {v, static_cast<uint8_t>(255 - v), static_cast<uint8_t>(v / 2), 255};  // 256 colours: exact
  }
  GifWriter w(dir / "noise.gif", noise.width, noise.height);
  w.add_frame(noise, 10);
  w.commit();
  const Raster r = Raster::open(dir / "noise.gif");
  std::vector<uint8_t> idx(noise.pixels.size());
  r.read<uint8_t>({0}, r.grid().full(), idx.data());
  const auto table = r.color_table(0);
  ASSERT_EQ(table.size(), 256u);
  for (size_t i = 0; i < idx.size(); ++i) {
    const RGBA got{table[idx[i]].r, table[idx[i]].g, table[idx[i]].b, 255};
    ASSERT_EQ(got, noise.pixels[i]) << "pixel " << i;
  }
}

TEST(GifWriter, NoFileWithoutCommitAndClearErrors) {
  TempDir dir;
  {
    GifWriter w(dir / "a.gif", 8, 8);
    w.add_frame(Image(8, 8, {1, 2, 3, 255}), 10);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "an unfinished GIF was left behind";
  GifWriter w(dir / "b.gif", 8, 8);
  EXPECT_THROW(w.add_frame(Image(9, 8), 10), Error);
  EXPECT_THROW(w.commit(), Error);  // no frame
  try {
    GifWriter bad(dir / "no/such/dir/c.gif", 8, 8);
    ADD_FAILURE() << "opened a GIF in a missing folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "no/such/dir/c.gif"), std::string::npos) << e.what();
  }
}

}  // namespace
