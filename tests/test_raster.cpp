#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.h"
#include "geo/raster.h"
#include "test_util.h"

using namespace strata;
using namespace strata::geo;
using strata::test::TempDir;

namespace {

Grid utm_grid(int64_t w, int64_t h, double pixel = 10.0) {
  Grid g;
  g.width = w;
  g.height = h;
  g.transform = {600000.0, pixel, 0.0, 5600000.0, 0.0, -pixel};
  g.crs_wkt = crs_wkt_from_epsg(32631);
  return g;
}

std::vector<uint16_t> ramp(int bands, int64_t w, int64_t h) {
  std::vector<uint16_t> v(static_cast<size_t>(bands * w * h));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint16_t>(i % 60000 + 1);
  return v;
}

TEST(Raster, RoundTripKeepsValuesCrsTransformNodataAndNames) {
  TempDir dir;
  const Grid g = utm_grid(300, 200);
  const auto data = ramp(3, 300, 200);
  WriteOptions o;
  o.band_descriptions = {"B4", "B3", "B2"};
  o.nodata = 0;
  o.metadata = {{"PROCESSING_BASELINE", "05.09"}};
  write_raster(dir / "rt.tif", g, 3, data.data(), o);

  const Raster r = Raster::open(dir / "rt.tif");
  EXPECT_EQ(r.band_count(), 3);
  EXPECT_EQ(r.grid().width, 300);
  EXPECT_EQ(r.grid().height, 200);
  EXPECT_EQ(r.grid().transform, g.transform);
  EXPECT_TRUE(same_crs(r.grid().crs_wkt, g.crs_wkt));
  EXPECT_EQ(crs_epsg(r.grid().crs_wkt), 32631);
  EXPECT_EQ(r.nodata(1), 0.0);
  EXPECT_EQ(r.band_description(0), "B4");
  EXPECT_EQ(r.band_description(2), "B2");
  EXPECT_EQ(r.band_type(0), DataType::u16);
  EXPECT_EQ(r.metadata_item("PROCESSING_BASELINE"), "05.09");

  std::vector<uint16_t> back(data.size());
  r.read({0, 1, 2}, g.full(), back.data());
  EXPECT_EQ(back, data);

  // A window of two bands in another order.
  const Window w{17, 33, 40, 21};
  std::vector<uint16_t> win(static_cast<size_t>(2 * w.pixels()));
  r.read({2, 0}, w, win.data());
  for (int64_t row = 0; row < w.height; ++row)
    for (int64_t col = 0; col < w.width; ++col) {
      EXPECT_EQ(win[static_cast<size_t>(row * w.width + col)], data[static_cast<size_t>(2 * 60000 + (w.y + row) * 300 + w.x + col)]);
      EXPECT_EQ(win[static_cast<size_t>(w.pixels() + row * w.width + col)], data[static_cast<size_t>((w.y + row) * 300 + w.x + col)]);
    }
}

TEST(Raster, StreamedWindowsEqualOneWrite) {
  TempDir dir;
  const Grid g = utm_grid(257, 131);
  const auto data = ramp(2, 257, 131);
  RasterWriter w(dir / "strips.tif", g, 2, {});
  for (int64_t y = 0; y < g.height; y += 50) {
    const Window strip{0, y, g.width, std::min<int64_t>(50, g.height - y)};
    std::vector<uint16_t> block(static_cast<size_t>(2 * strip.pixels()));
    for (int b = 0; b < 2; ++b)
      std::copy_n(data.begin() + b * g.width * g.height + y * g.width, strip.pixels(), block.begin() + b * strip.pixels());
    w.write_all(strip, block.data());
  }
  w.commit();
  std::vector<uint16_t> back(data.size());
  Raster::open(dir / "strips.tif").read({0, 1}, g.full(), back.data());
  EXPECT_EQ(back, data);
}

TEST(Raster, UncommittedWriterLeavesNothing) {
  TempDir dir;
  {
    RasterWriter w(dir / "half.tif", utm_grid(64, 64), 1, {});
    std::vector<uint16_t> row(64, 5);
    w.write({0}, {0, 0, 64, 1}, row.data());
    // destroyed without commit(), as when an exception unwinds
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "a temporary or final file was left behind";
}

TEST(Raster, CogWithOverviewsAndColorTable) {
  TempDir dir;
  const Grid g = utm_grid(600, 600);
  std::vector<uint8_t> labels(600 * 600);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>((i / 600 / 60 + i % 600 / 60) % 9);
  WriteOptions o;
  o.type = DataType::u8;
  o.cog = true;
  o.nodata = 255;
  o.overview_resampling = Resampling::nearest;
  o.band_descriptions = {"label"};
  o.color_table = {{65, 155, 223, 255}, {57, 125, 73, 255}};
  write_raster(dir / "cog.tif", g, 1, labels.data(), o);

  const Raster r = Raster::open(dir / "cog.tif");
  EXPECT_EQ(r.metadata_item("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  EXPECT_EQ(r.band_description(0), "label");
  EXPECT_EQ(r.nodata(0), 255.0);
  ASSERT_GE(r.color_table(0).size(), 2u);
  EXPECT_EQ(r.color_table(0)[0].b, 223);
  std::vector<uint8_t> back(labels.size());
  r.read({0}, g.full(), back.data());
  EXPECT_EQ(back, labels);
  EXPECT_TRUE(std::filesystem::exists(dir / "cog.tif"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1) << "temporary files left behind";
}

TEST(Raster, ResamplesA20mBandOntoThe10mGrid) {
  TempDir dir;
  // 20 m band, 4x4 pixels: value = 100 * (col + 1) + row.
  Grid g20 = utm_grid(4, 4, 20.0);
  std::vector<uint16_t> v20(16);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) v20[static_cast<size_t>(r * 4 + c)] = static_cast<uint16_t>(100 * (c + 1) + r);
  write_raster(dir / "b20.tif", g20, 1, v20.data(), {});
  const Raster r = Raster::open(dir / "b20.tif");

  const Grid g10 = utm_grid(8, 8, 10.0);
  std::vector<uint16_t> nearest(64), bilinear(64);
  r.read_onto<uint16_t>({0}, g10, g10.full(), nearest.data(), Resampling::nearest, 0);
  r.read_onto<uint16_t>({0}, g10, g10.full(), bilinear.data(), Resampling::bilinear, 0);
  for (int row = 0; row < 8; ++row)
    for (int col = 0; col < 8; ++col)
      EXPECT_EQ(nearest[static_cast<size_t>(row * 8 + col)], v20[static_cast<size_t>(row / 2 * 4 + col / 2)]);
  // Bilinear interpolates between 20 m centres: 10 m pixel 1 (centre at 15 m) lies a quarter
  // of the way from centre 0 (10 m) to centre 1 (30 m).
  EXPECT_NEAR(bilinear[1], 125.0, 1.0);
  // Row 3, column 4: x centre 45 m = 2.25 source px (3/4 from column 1 to 2), y centre 35 m
  // = 1.75 source px (1/4 from row 1 to 2): 200 + 75 + 1.25.
  EXPECT_NEAR(bilinear[3 * 8 + 4], 276.25, 1.0);

  // A target window hanging off the raster's edge keeps the fill value outside.
  Grid shifted = g10;
  shifted.transform[0] -= 20.0;  // two 10 m pixels to the west
  std::vector<uint16_t> edge(64);
  r.read_onto<uint16_t>({0}, shifted, shifted.full(), edge.data(), Resampling::nearest, 9);
  EXPECT_EQ(edge[0], 9);
  EXPECT_EQ(edge[1], 9);
  EXPECT_EQ(edge[2], 100);
}

TEST(Raster, ReprojectsAnotherCrsOntoTheTargetGrid) {
  TempDir dir;
  // A 0.001 degree grid of stripes in EPSG:4326 near (6.6 E, 0.2 N), read onto UTM 32N at 10 m.
  Grid geo;
  geo.width = geo.height = 200;
  geo.transform = {6.55, 0.001, 0.0, 0.25, 0.0, -0.001};
  geo.crs_wkt = crs_wkt_from_epsg(4326);
  std::vector<uint8_t> codes(200 * 200);
  for (int64_t r = 0; r < 200; ++r)
    for (int64_t c = 0; c < 200; ++c) codes[static_cast<size_t>(r * 200 + c)] = c < 100 ? 10 : 80;
  WriteOptions o;
  o.type = DataType::u8;
  o.nodata = 0;
  write_raster(dir / "wc.tif", geo, 1, codes.data(), o);

  Grid utm;  // 2 km x 2 km inside the stripes, centred on 6.65 E (the stripe boundary)
  utm.width = utm.height = 200;
  utm.crs_wkt = crs_wkt_from_epsg(32632);
  // In UTM 32N (central meridian 9 E), 6.65 E, 0.2 N is at x = 238,432 m, y = 22,125 m.
  utm.transform = {237400.0, 10.0, 0.0, 23100.0, 0.0, -10.0};
  std::vector<uint8_t> out(200 * 200);
  Raster::open(dir / "wc.tif").read_onto<uint8_t>({0}, utm, utm.full(), out.data(), Resampling::nearest, 0);
  int64_t trees = 0, water = 0, fill = 0;
  for (uint8_t v : out) (v == 10 ? trees : v == 80 ? water : fill)++;
  EXPECT_EQ(fill, 0) << "the target lies inside the source";
  EXPECT_GT(trees, 0);
  EXPECT_GT(water, 0);
  // West of the boundary is trees, east is water, in every row.
  EXPECT_EQ(out[0], 10);
  EXPECT_EQ(out[199], 80);

  // Outside the source entirely: all fill, no error.
  Grid far = utm;
  far.transform[0] += 1e6;
  Raster::open(dir / "wc.tif").read_onto<uint8_t>({0}, far, far.full(), out.data(), Resampling::nearest, 255);
  EXPECT_EQ(std::count(out.begin(), out.end(), uint8_t{255}), 200 * 200);
}

TEST(Raster, NoCrsCannotBeReprojected) {
  TempDir dir;
  Grid g;
  g.width = g.height = 8;
  std::vector<uint16_t> v(64, 1);
  write_raster(dir / "nocrs.tif", g, 1, v.data(), {});
  std::vector<uint16_t> out(64);
  try {
    Raster::open(dir / "nocrs.tif").read_onto<uint16_t>({0}, utm_grid(8, 8), {0, 0, 8, 8}, out.data(), Resampling::nearest, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nocrs.tif: cannot reproject"), std::string::npos) << e.what();
  }
}

TEST(RasterErrors, MissingFile) {
  try {
    Raster::open("/nonexistent/scene.tif");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/scene.tif: no such file");
  }
}

TEST(RasterErrors, NotARaster) {
  TempDir dir;
  strata::test::write_text(dir / "notes.tif", "this is not a GeoTIFF\n");
  try {
    Raster::open(dir / "notes.tif");
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(dir / "notes.tif", 0), 0u) << m;
    EXPECT_NE(m.find("cannot open as a raster"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  }
}

TEST(RasterErrors, TruncatedGeoTiffFailsOnReadNamingTheFile) {
  TempDir dir;
  const Grid g = utm_grid(512, 512);
  const auto data = ramp(4, 512, 512);
  WriteOptions o;
  o.compress = "NONE";
  write_raster(dir / "full.tif", g, 4, data.data(), o);
  const auto size = std::filesystem::file_size(dir / "full.tif");
  std::filesystem::copy_file(dir / "full.tif", dir / "cut.tif");
  std::filesystem::resize_file(dir / "cut.tif", size / 2);
  try {
    const Raster r = Raster::open(dir / "cut.tif");
    std::vector<uint16_t> out(data.size());
    r.read({0, 1, 2, 3}, g.full(), out.data());
    FAIL() << "a truncated file read without error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cut.tif"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(RasterErrors, BandOutOfRange) {
  TempDir dir;
  std::vector<uint16_t> v(64, 1);
  write_raster(dir / "one.tif", utm_grid(8, 8), 1, v.data(), {});
  std::vector<uint16_t> out(64);
  EXPECT_THROW(Raster::open(dir / "one.tif").read({3}, {0, 0, 8, 8}, out.data()), Error);
  EXPECT_THROW(Raster::open(dir / "one.tif").read({0}, {4, 4, 8, 8}, out.data()), Error);
}

TEST(RasterErrors, WriterIntoMissingDirectory) {
  EXPECT_THROW(RasterWriter("/nonexistent-dir/x.tif", utm_grid(8, 8), 1, {}), Error);
}

// A COG served over HTTP on 127.0.0.1, read through GDAL's /vsicurl/ with Range requests.
TEST(Raster, ReadsACogOverHttpWithVsicurl) {
  TempDir dir;
  const Grid g = utm_grid(512, 512);
  const auto data = ramp(2, 512, 512);
  WriteOptions o;
  o.cog = true;
  o.band_descriptions = {"B4", "B8"};
  write_raster(dir / "remote.tif", g, 2, data.data(), o);

  strata::test::HttpServer server(dir.path().string());
  if (server.port() == 0) GTEST_SKIP() << "could not start python3 http server on 127.0.0.1";
  const std::string url = "/vsicurl/" + server.url("remote.tif");
  const Raster r = Raster::open(url);
  EXPECT_EQ(r.band_count(), 2);
  EXPECT_EQ(r.band_description(1), "B8");
  EXPECT_EQ(crs_epsg(r.grid().crs_wkt), 32631);
  const Window w{300, 100, 64, 32};
  std::vector<uint16_t> win(static_cast<size_t>(w.pixels()));
  r.read({1}, w, win.data());
  for (int64_t row = 0; row < w.height; ++row)
    for (int64_t col = 0; col < w.width; ++col)
      ASSERT_EQ(win[static_cast<size_t>(row * w.width + col)], data[static_cast<size_t>(512 * 512 + (w.y + row) * 512 + w.x + col)]);

  // A missing object is a clear error naming the URL.
  try {
    Raster::open("/vsicurl/" + server.url("missing.tif"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.tif"), std::string::npos) << e.what();
  }
}

}  // namespace
