// The analysis use cases on hand-made maps with exact expected numbers: pixel areas, class
// rasters, stats, change, evaluate and render.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis_fixture.h"
#include "core/error.h"
#include "geo/footprint.h"
#include "geo/pixel_area.h"
#include "geo/vrt.h"
#include "gif_reader.h"
#include "pipeline/change.h"
#include "pipeline/class_raster.h"
#include "pipeline/evaluate.h"
#include "pipeline/render.h"
#include "pipeline/stats.h"
#include "test_util.h"

using namespace strata;
using namespace strata::pipeline;
using strata::test::TempDir;
using strata::test::utm_grid;
using strata::test::write_labels;
using strata::test::write_prediction;

namespace {

constexpr uint8_t N = kIgnoreLabel;

geo::Grid geographic_grid(int64_t w, int64_t h, double x0, double y0, double pixel) {
  geo::Grid g;
  g.width = w;
  g.height = h;
  g.transform = {x0, pixel, 0.0, y0, 0.0, -pixel};
  g.crs_wkt = geo::crs_wkt_from_epsg(4326);
  return g;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// ---------------------------------------------------------------------------------------------
// Areas and footprints

TEST(PixelArea, ProjectedPixelsHaveTheirPlaneArea) {
  EXPECT_EQ(geo::pixel_area_m2(utm_grid(3, 2), {0, 0, 3, 2}, "x"), std::vector<double>(2, 100.0));
  EXPECT_EQ(geo::pixel_area_m2(utm_grid(3, 2, 20), {0, 1, 3, 1}, "x"), std::vector<double>(1, 400.0));
  geo::Grid feet = utm_grid(1, 1);
  feet.crs_wkt = geo::crs_wkt_from_epsg(2227);  // California zone 3, US survey feet
  EXPECT_NEAR(geo::pixel_area_m2(feet, {0, 0, 1, 1}, "x")[0], 100 * std::pow(1200.0 / 3937, 2), 1e-9);
  geo::Grid none = utm_grid(1, 1);
  none.crs_wkt.clear();
  EXPECT_NE(error_of([&] { geo::pixel_area_m2(none, {0, 0, 1, 1}, "nocrs.tif"); }).find("nocrs.tif: has no CRS"),
            std::string::npos);
}

TEST(PixelArea, GeographicRowsAreTrueEllipsoidAreas) {
  // The whole WGS 84 ellipsoid in 1-degree pixels: 510,065,621.7 km2.
  const geo::Grid world = geographic_grid(360, 180, -180, 90, 1);
  const auto rows = geo::pixel_area_m2(world, world.full(), "world");
  double total = 0;
  for (double a : rows) total += 360 * a;
  EXPECT_NEAR(total / 1e6, 510065621.724, 0.01);
  EXPECT_NEAR(rows[0], rows[179], rows[0] * 1e-10);  // symmetric about the equator
  // The cell from the equator to 1 degree north, by Simpson's rule on the ellipsoid's area element.
  const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f), d = M_PI / 180;
  auto element = [&](double phi) { const double s = std::sin(phi); return a * a * (1 - e2) * std::cos(phi) / std::pow(1 - e2 * s * s, 2); };
  double simpson = 0;
  const int k = 1000;
  for (int i = 0; i <= k; ++i) simpson += (i == 0 || i == k ? 1 : i % 2 ? 4 : 2) * element(d * i / k);
  simpson *= d / k / 3 * d;
  EXPECT_NEAR(rows[89], simpson, simpson * 1e-9);
}

TEST(Footprint, OverlapAcrossCrs) {
  const geo::Grid utm = utm_grid(100, 100);  // near 9 E, 45.15 N
  EXPECT_TRUE(geo::grids_overlap(utm, utm_grid(10, 10, 10, 500990, 4999010)));
  EXPECT_FALSE(geo::grids_overlap(utm, utm_grid(10, 10, 10, 501000, 5000000)));  // touches only
  EXPECT_TRUE(geo::grids_overlap(utm, geographic_grid(100, 100, 8.99, 45.17, 0.001)));
  EXPECT_FALSE(geo::grids_overlap(utm, geographic_grid(100, 100, 100, 10, 0.001)));
}

// ---------------------------------------------------------------------------------------------
// Class rasters

TEST(ClassRaster, FindsTheLabelBandAndRejectsWhatIsNotAMap) {
  TempDir dir;
  const geo::Grid g = utm_grid(2, 2);
  write_prediction(dir / "pred.tif", g, {0, 1, N, 8}, {0.5f, 0.6f, 0.0f, 0.9f});
  const ClassRaster p = ClassRaster::open(dir / "pred.tif");
  EXPECT_EQ(p.band(), 9);
  std::vector<uint8_t> v(4);
  p.read(g.full(), v.data());
  EXPECT_EQ(v, (std::vector<uint8_t>{0, 1, N, 8}));

  write_prediction(dir / "predf.tif", g, {0, 1, N, 8}, {0.5f, 0.6f, 0.0f, 0.9f}, true);
  ClassRaster::open(dir / "predf.tif").read(g.full(), v.data());
  EXPECT_EQ(v, (std::vector<uint8_t>{0, 1, N, 8})) << "float32 prediction, NaN no data";

  write_labels(dir / "zero.tif", g, {0, 3, 3, 0}, 0);  // nodata 0: 0 is not water here
  ClassRaster::open(dir / "zero.tif").read(g.full(), v.data());
  EXPECT_EQ(v, (std::vector<uint8_t>{N, 3, 3, N}));

  geo::WriteOptions three;
  three.type = geo::DataType::u8;
  const std::vector<uint8_t> zeros(12, 0);
  geo::write_raster(dir / "rgb.tif", g, 3, zeros.data(), three);
  EXPECT_NE(error_of([&] { ClassRaster::open(dir / "rgb.tif"); }).find(dir / "rgb.tif" + ": has 3 bands and none is described 'label'"),
            std::string::npos);

  write_labels(dir / "nine.tif", g, {0, 9, 1, 1});
  const std::string e = error_of([&] { ClassRaster::open(dir / "nine.tif").read(g.full(), v.data()); });
  EXPECT_NE(e.find(dir / "nine.tif" + ": value 9 is neither a class"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { ClassRaster::open(dir / "missing.tif"); }).find("missing.tif: no such file"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// stats

TEST(Stats, AreaPerClassAndDateExactly) {
  TempDir dir;
  // 20 m pixels: 400 m2 = 0.0004 km2 each.
  write_labels(dir / "labels_2021-06-01.tif", utm_grid(4, 3, 20), {0, 0, 1, 1, 1, N, 4, 4, 8, 8, 8, N});
  write_prediction(dir / "composite.tif", utm_grid(2, 1), {7, 7}, {1, 1});
  const auto areas = class_areas({{dir / "labels_2021-06-01.tif", dir / "composite.tif"}, dir / "s.csv", dir / "s.json"});
  ASSERT_EQ(areas.size(), 2u);
  EXPECT_EQ(areas[0].date, "2021-06-01");
  EXPECT_EQ(areas[1].date, "");
  EXPECT_EQ(areas[0].pixels, (std::array<int64_t, 9>{2, 3, 0, 0, 2, 0, 0, 0, 3}));
  EXPECT_EQ(areas[0].nodata_pixels, 2);
  EXPECT_NEAR(areas[0].km2[1], 0.0012, 1e-15);
  EXPECT_NEAR(areas[0].nodata_km2, 0.0008, 1e-15);
  EXPECT_NEAR(areas[1].km2[7], 0.0002, 1e-15);
  EXPECT_EQ(read_file(dir / "s.csv"),
            "input,date,water,trees,grass,flooded_vegetation,crops,shrub_and_scrub,built,bare,snow_and_ice,nodata\n" +
                (dir / "labels_2021-06-01.tif") +
                ",2021-06-01,0.000800,0.001200,0.000000,0.000000,0.000800,0.000000,0.000000,0.000000,0.001200,0.000800\n" +
                (dir / "composite.tif") +
                ",,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000200,0.000000,0.000000\n");
  const auto j = nlohmann::json::parse(read_file(dir / "s.json"));
  EXPECT_EQ(j["inputs"][0]["pixels"]["snow_and_ice"], 3);
  EXPECT_TRUE(j["inputs"][1]["date"].is_null());
}

// ---------------------------------------------------------------------------------------------
// change

// from, to on one 4 x 4 grid of 10 m pixels (0.01 ha each):
//   trees x3 stay, trees -> bare x4, trees -> shrub x1, crops -> water x2, crops -> flooded x1,
//   crops stays x1, grass stays x1, grass -> flooded x1, no data in either x2
const std::vector<uint8_t> kFrom = {1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 2, 2, N, 2};
const std::vector<uint8_t> kTo = {1, 7, 7, 7, 1, 1, 7, 5, 0, 0, 3, 4, 2, 3, 2, N};

TEST(Change, TransitionsRasterAndAreasExactly) {
  TempDir dir;
  write_labels(dir / "a.tif", utm_grid(4, 4), kFrom);
  write_prediction(dir / "b.tif", utm_grid(4, 4), kTo, std::vector<float>(16, 0.7f));
  const ChangeResult r = detect_change({dir / "a.tif", dir / "b.tif", dir / "out/sub", 0});

  EXPECT_EQ(r.pixels[1][7], 4);
  EXPECT_EQ(r.pixels[4][0], 2);
  EXPECT_EQ(r.pixels[1][1], 3);
  EXPECT_NEAR(r.km2[1][7], 0.0004, 1e-15);
  EXPECT_NEAR(r.changed_km2, 0.0009, 1e-15);
  EXPECT_NEAR(r.unchanged_km2, 0.0005, 1e-15);
  EXPECT_NEAR(r.nodata_km2, 0.0002, 1e-15);
  // Largest first; ties keep the matrix order.
  ASSERT_EQ(r.changes.size(), 5u);
  const std::vector<std::pair<int, int>> order = {{1, 7}, {4, 0}, {1, 5}, {2, 3}, {4, 3}};
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(std::make_pair(r.changes[i].from, r.changes[i].to), order[i]) << i;

  const geo::Raster t = geo::Raster::open(r.raster);
  EXPECT_EQ(t.band_description(0), "transition");
  EXPECT_EQ(t.nodata(0), 255.0);
  EXPECT_EQ(t.metadata_item("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  std::vector<uint8_t> codes(16);
  t.read<uint8_t>({0}, t.grid().full(), codes.data());
  EXPECT_EQ(codes, (std::vector<uint8_t>{11, 17, 17, 17, 11, 11, 17, 15, 40, 40, 43, 44, 22, 23, N, N}));
  EXPECT_EQ(transition_code(1, 7), 17);
  const auto table = t.color_table(0);
  ASSERT_GE(table.size(), 89u);
  EXPECT_EQ(table[17].r, class_palette()[7][0]) << "a change shows its new class";

  const std::string csv = read_file(r.csv);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "from\\to,water,trees,grass,flooded_vegetation,crops,shrub_and_scrub,built,bare,snow_and_ice");
  EXPECT_NE(csv.find("\ntrees,0.000000,0.000300,0.000000,0.000000,0.000000,0.000100,0.000000,0.000400,0.000000\n"),
            std::string::npos)
      << csv;
  const auto j = nlohmann::json::parse(read_file(r.json));
  EXPECT_EQ(j["matrix_pixels"][4][3], 1);
  EXPECT_EQ(j["transitions"][0]["from"], "trees");
  EXPECT_EQ(j["transitions"][0]["to"], "bare");
  EXPECT_NEAR(j["transitions"][0]["ha"].get<double>(), 0.04, 1e-12);

  const ChangeResult big = detect_change({dir / "a.tif", dir / "b.tif", dir / "out2", 0.015});
  ASSERT_EQ(big.changes.size(), 2u) << "--min-area-ha leaves the 1-pixel changes out";
}

TEST(Change, ToIsReadOntoTheFromGrid) {
  TempDir dir;
  write_labels(dir / "a.tif", utm_grid(4, 4), kFrom);
  write_labels(dir / "b20.tif", utm_grid(2, 2, 20), {7, 1, 0, N});  // 20 m: each covers 2 x 2
  const ChangeResult r = detect_change({dir / "a.tif", dir / "b20.tif", dir / "out", 0});
  EXPECT_EQ(r.pixels[1][7], 4);  // top-left quarter: trees -> bare
  EXPECT_EQ(r.pixels[1][1], 4);
  EXPECT_EQ(r.pixels[4][0], 2);  // bottom-left: crops and grass -> water
  EXPECT_EQ(r.pixels[2][0], 2);
  EXPECT_NEAR(r.nodata_km2, 0.0004, 1e-15);  // bottom-right quarter, and A's own no data there
}

TEST(Change, ClearErrorsNameTheFiles) {
  TempDir dir;
  write_labels(dir / "a.tif", utm_grid(4, 4), kFrom);
  write_labels(dir / "far.tif", utm_grid(4, 4, 10, 600000), kTo);
  std::string e = error_of([&] { detect_change({dir / "a.tif", dir / "far.tif", dir / "out", 0}); });
  EXPECT_NE(e.find(dir / "far.tif" + ": does not overlap " + (dir / "a.tif")), std::string::npos) << e;
  test::write_text(dir / "file", "x");
  e = error_of([&] { detect_change({dir / "a.tif", dir / "a.tif", dir / "file/out", 0}); });
  EXPECT_NE(e.find(dir / "file/out" + ": cannot create the output folder"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

// ---------------------------------------------------------------------------------------------
// evaluate

// Prediction and WorldCover-coded truth (0 = no data):
//   truth classes 1 1 1 4 / 4 4 4 4 / 0 0 - 0 / 6 1 1 -
//   prediction    1 1 1 1 / 4 4 4 1 / 0 0 0 - / 6 6 1 1
const std::vector<uint8_t> kPred = {1, 1, 1, 1, 4, 4, 4, 1, 0, 0, 0, N, 6, 6, 1, 1};
const std::vector<uint8_t> kTruthCodes = {10, 10, 10, 40, 40, 40, 40, 40, 80, 80, 0, 80, 50, 10, 10, 0};

TEST(Evaluate, HandMadeConfusionThroughTheWorldCoverScheme) {
  TempDir dir;
  write_prediction(dir / "pred.tif", utm_grid(4, 4), kPred, std::vector<float>(16, 0.8f));
  write_labels(dir / "wc.tif", utm_grid(4, 4), kTruthCodes, 0);
  const EvaluateResult r = evaluate({dir / "pred.tif", dir / "wc.tif", "worldcover", dir / "e.json"});
  ASSERT_EQ(r.products.size(), 1u);
  const ConfusionMatrix& m = r.products[0].matrix;
  EXPECT_EQ(m.total(), 13);
  EXPECT_EQ(m.at(1, 1), 4);
  EXPECT_EQ(m.at(4, 1), 2);
  EXPECT_EQ(m.at(4, 4), 3);
  EXPECT_EQ(m.at(0, 0), 2);
  EXPECT_EQ(m.at(6, 6), 1);
  EXPECT_EQ(m.at(1, 6), 1);
  EXPECT_DOUBLE_EQ(m.accuracy(), 10.0 / 13);
  EXPECT_EQ(r.products[0].no_prediction, 1);
  EXPECT_EQ(r.products[0].no_label, 2);
  const auto j = nlohmann::json::parse(read_file(dir / "e.json"));
  EXPECT_EQ(j["products"][0]["compared_pixels"], 13);
  EXPECT_EQ(j["total"]["confusion"][4][1], 2);

  // The identity scheme does not know WorldCover's codes: an error naming the label file.
  const std::string e = error_of([&] { evaluate({dir / "pred.tif", dir / "wc.tif", "identity", ""}); });
  EXPECT_NE(e.find(dir / "wc.tif" + ": label code"), std::string::npos) << e;
}

TEST(Evaluate, LabelsInAnotherCrsAreReprojected) {
  TempDir dir;
  write_prediction(dir / "pred.tif", utm_grid(4, 4), kPred, std::vector<float>(16, 0.8f));
  write_labels(dir / "trees4326.tif", geographic_grid(200, 200, 8.99, 45.17, 0.0001), std::vector<uint8_t>(40000, 10), 0);
  const EvaluateResult r = evaluate({dir / "pred.tif", dir / "trees4326.tif", "worldcover", ""});
  EXPECT_EQ(r.total.total(), 15);  // every predicted pixel has a (trees) label
  EXPECT_EQ(r.total.at(1, 1), 7);

  write_labels(dir / "far4326.tif", geographic_grid(10, 10, 100, 10, 0.0001), std::vector<uint8_t>(100, 10), 0);
  const std::string e = error_of([&] { evaluate({dir / "pred.tif", dir / "far4326.tif", "worldcover", ""}); });
  EXPECT_NE(e.find(dir / "far4326.tif" + ": does not overlap " + (dir / "pred.tif")), std::string::npos) << e;
}

TEST(Evaluate, APredictFolderScoresEveryMosaicAndTheirSum) {
  TempDir dir;
  std::filesystem::create_directory(dir / "pred");
  write_labels(dir / "tiles_a.tif", utm_grid(4, 4), kPred);
  write_labels(dir / "truth.tif", utm_grid(4, 4), kFrom);  // classes, identity scheme
  // Two mosaics: one the prediction, one the truth itself (perfect).
  geo::build_band_stack_vrt(dir / "pred/S2_2021-06-01.vrt", {{{dir / "tiles_a.tif", "label", geo::Resampling::nearest}}, {}});
  geo::build_band_stack_vrt(dir / "pred/composite.vrt", {{{dir / "truth.tif", "label", geo::Resampling::nearest}}, {}});
  test::write_text(dir / "pred/predict.json", "{}");
  EXPECT_EQ(prediction_products(dir / "pred"), (std::vector<std::string>{dir / "pred/S2_2021-06-01.vrt", dir / "pred/composite.vrt"}));
  const EvaluateResult r = evaluate({dir / "pred", dir / "truth.tif", "identity", ""});
  ASSERT_EQ(r.products.size(), 2u);
  EXPECT_DOUBLE_EQ(r.products[1].matrix.accuracy(), 1.0);
  EXPECT_EQ(r.total.total(), r.products[0].matrix.total() + r.products[1].matrix.total());
  EXPECT_EQ(r.total.at(1, 1), r.products[0].matrix.at(1, 1) + r.products[1].matrix.at(1, 1));
  std::filesystem::create_directory(dir / "empty");
  EXPECT_NE(error_of([&] { evaluate({dir / "empty", dir / "truth.tif", "identity", ""}); }).find("holds no *.vrt"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// render

geo::RGBA pixel(const geo::Raster& png, int64_t x, int64_t y) {
  uint8_t v[4];
  png.read<uint8_t>({0, 1, 2, 3}, {x, y, 1, 1}, v);
  return {v[0], v[1], v[2], v[3]};
}

geo::RGBA palette(int c, double k = 1) {
  const auto& p = class_palette()[static_cast<size_t>(c)];
  return {static_cast<uint8_t>(std::lround(p[0] * k)), static_cast<uint8_t>(std::lround(p[1] * k)),
          static_cast<uint8_t>(std::lround(p[2] * k)), 255};
}

TEST(Render, LabelMapWithLegendAndConfidence) {
  TempDir dir;
  const geo::Grid g = utm_grid(40, 30);
  std::vector<uint8_t> labels(1200, 1);
  std::vector<float> top(1200, 0.6f);
  for (int64_t x = 0; x < 20; ++x) labels[static_cast<size_t>(x)] = 4, top[static_cast<size_t>(x)] = 1.0f;
  labels[1199] = N;
  write_prediction(dir / "pred.tif", g, labels, top);

  RenderOptions o;
  o.inputs = {dir / "pred.tif"};
  o.output = dir / "map.png";
  RenderResult r = render(o);
  const geo::Raster map = geo::Raster::open(dir / "map.png");
  EXPECT_GT(map.grid().width, 40 + 100) << "the legend sits beside the map";
  EXPECT_EQ(map.grid().width, r.width);
  EXPECT_EQ(pixel(map, 5, 0), palette(4));
  EXPECT_EQ(pixel(map, 5, 10), palette(1));
  EXPECT_EQ(pixel(map, 39, 29).a, 0) << "no data is transparent";
  EXPECT_EQ(pixel(map, 40 + 4 + 2, 4 + 2), palette(0)) << "the first swatch is water";
  EXPECT_EQ(pixel(map, 40 + 4 + 2, 4 + 11 + 2), palette(1));

  o.confidence = true;
  o.output = dir / "conf.png";
  r = render(o);
  EXPECT_EQ(r.kind, "confidence");
  const geo::Raster conf = geo::Raster::open(dir / "conf.png");
  EXPECT_EQ(pixel(conf, 5, 0), palette(4));
  EXPECT_EQ(pixel(conf, 5, 10), palette(1, std::round(0.6 * 254) / 254)) << "brightness = top-1 probability";

  write_prediction(dir / "predf.tif", g, labels, top, true);
  o.inputs = {dir / "predf.tif"};
  o.output = dir / "conf_float.png";
  o.legend = false;
  render(o);
  const geo::Raster conf_float = geo::Raster::open(dir / "conf_float.png");
  EXPECT_EQ(conf_float.grid().width, 40);
  EXPECT_EQ(pixel(conf_float, 5, 10), palette(1, 0.6f));
}

TEST(Render, GifTimelapseWithCaptionsAndErrors) {
  TempDir dir;
  const geo::Grid g = utm_grid(40, 30);
  for (int k = 0; k < 3; ++k)
    write_labels(dir / ("labels_2021-0" + std::to_string(k + 1) + "-15.tif"), g, std::vector<uint8_t>(1200, static_cast<uint8_t>(k)));
  RenderOptions o;
  for (int k = 0; k < 3; ++k) o.inputs.push_back(dir / ("labels_2021-0" + std::to_string(k + 1) + "-15.tif"));
  o.output = dir / "t.gif";
  o.delay_s = 0.5;
  const RenderResult r = render(o);
  EXPECT_EQ(r.frames, 3);
  const test::GifFile gif = test::read_gif(dir / "t.gif");
  ASSERT_EQ(gif.frames.size(), 3u);
  EXPECT_EQ(gif.width, r.width);
  EXPECT_GT(gif.width, 40) << "legend";
  EXPECT_EQ(gif.loop, 0);
  for (int k = 0; k < 3; ++k) {
    const test::GifFrame& f = gif.frames[static_cast<size_t>(k)];
    EXPECT_EQ(f.delay_cs, 50);
    auto colour = [&](int64_t x, int64_t y) {
      const size_t i = 3 * f.indices[static_cast<size_t>(y * gif.width + x)];
      return geo::RGBA{f.palette[i], f.palette[i + 1], f.palette[i + 2], 255};
    };
    EXPECT_EQ(colour(30, 25), palette(k)) << "frame " << k;
    EXPECT_EQ(colour(2, 2), (geo::RGBA{0, 0, 0, 255})) << "the caption box";
  }
  const geo::Raster first = geo::Raster::open(dir / "t.gif");  // GDAL's GIF driver
  EXPECT_EQ(first.grid().width, gif.width);

  o.output = dir / "t.png";
  EXPECT_THROW(render(o), UsageError);  // several inputs need a GIF
  o.inputs = {dir / "labels_2021-01-15.tif"};
  o.confidence = true;
  const std::string e = error_of([&] { render(o); });
  EXPECT_NE(e.find(dir / "labels_2021-01-15.tif" + ": --confidence needs the 9 probability bands"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir / "t.png"));
}

}  // namespace
