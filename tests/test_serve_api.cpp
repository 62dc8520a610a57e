// strata serve's endpoints, called as functions (no socket) on a catalog made by strata predict.
// Tiles are decoded and compared pixel by pixel with the map read straight from the VRT through
// OGR and GDAL; point queries and time series with predict's COGs; statistics and change with
// what `strata stats` and `strata change` print.
#include <gdal_utils.h>

#include <cmath>
#include <fstream>
#include <set>

#include "core/classes.h"
#include "geo/raster.h"
#include "pipeline/change.h"
#include "pipeline/stats.h"
#include "pipeline/synth.h"
#include "serve/map_reader.h"
#include "serve/static_files.h"
#include "serve/tile_render.h"
#include "gif_reader.h"
#include "geo/scene.h"
#include "serve_test_util.h"

namespace strata::test {
namespace {
using nlohmann::json;

const serve::MapEntry& first_map() { return fixture_api().catalog().entries().front(); }

// WGS 84 of a map pixel's centre.
std::pair<double, double> lon_lat_of(const serve::MapEntry& e, double col, double row) {
  double x = e.grid.x_at(col), y = e.grid.y_at(row);
  OGRSpatialReference s;
  s.importFromWkt(e.grid.crs_wkt.c_str());
  s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference w;
  w.importFromEPSG(4326);
  w.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&s, &w));
  EXPECT_TRUE(ct->Transform(1, &x, &y));
  return {x, y};
}

std::array<int64_t, 2> tile_of(double lon, double lat, int z) {
  const double n = std::ldexp(1.0, z), r = lat * M_PI / 180;
  return {static_cast<int64_t>((lon + 180) / 360 * n), static_cast<int64_t>((1 - std::asinh(std::tan(r)) / M_PI) / 2 * n)};
}

std::string tile_url(const std::string& id, const std::string& layer, int z, int64_t x, int64_t y) {
  return "/api/v1/tiles/" + id + "/" + layer + "/" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y) + ".png";
}

struct TileCheck {
  int compared = 0, mismatched = 0, transparent = 0;
};

// Every tile pixel whose centre falls well inside one map pixel: the colour `expect` gives for
// that map pixel's 10 band values (read from the VRT with GDAL, not through serve).
template <class Expect>
TileCheck check_tile(const std::string& layer, int z, int64_t tx, int64_t ty, Expect expect) {
  const serve::MapEntry& e = first_map();
  const serve::Response r = get(fixture_api(), tile_url(e.id, layer, z, tx, ty));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "image/png");
  const geo::Image img = decode_png(r.body);
  EXPECT_EQ(img.width, 256);
  EXPECT_EQ(img.height, 256);
  GDALDatasetUniquePtr ds(GDALDataset::Open(e.vrt.c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
  TileCheck c;
  const double size = 2 * 20037508.342789244 / std::ldexp(1.0, z);
  for (int py = 0; py < 256; py += 3)
    for (int px = 0; px < 256; px += 3) {
      double x = -20037508.342789244 + (static_cast<double>(tx) + (px + 0.5) / 256) * size;
      double y = 20037508.342789244 - (static_cast<double>(ty) + (py + 0.5) / 256) * size;
      if (!reproject(3857, e.grid.crs_wkt, x, y)) continue;
      const double col = (x - e.grid.transform[0]) / e.grid.transform[1], row = (y - e.grid.transform[3]) / e.grid.transform[5];
      const double fc = col - std::floor(col), fr = row - std::floor(row);
      if (fc < 0.05 || fc > 0.95 || fr < 0.05 || fr > 0.95) continue;  // too close to a pixel edge to tell
      const geo::RGBA got = img.at(px, py);
      if (col < 0 || row < 0 || col >= e.grid.width || row >= e.grid.height) {
        c.transparent += got.a == 0;
        continue;
      }
      std::vector<double> v(10);
      for (int b = 0; b < 10; ++b)
        EXPECT_EQ(ds->GetRasterBand(b + 1)->RasterIO(GF_Read, static_cast<int>(col), static_cast<int>(row), 1, 1,
                                                     &v[static_cast<size_t>(b)], 1, 1, GDT_Float64, 0, 0, nullptr),
                  CE_None);
      const geo::RGBA want = expect(v);
      ++c.compared;
      if (!(got == want)) {
        if (c.mismatched++ < 5)
          ADD_FAILURE() << layer << " pixel " << px << "," << py << " (map " << col << "," << row << "): got "
                        << int(got.r) << "," << int(got.g) << "," << int(got.b) << "," << int(got.a) << " want " << int(want.r)
                        << "," << int(want.g) << "," << int(want.b) << "," << int(want.a);
      }
    }
  return c;
}

geo::RGBA palette(int c, double f = 1) {
  const auto& p = class_palette()[static_cast<size_t>(c)];
  return {static_cast<uint8_t>(std::lround(p[0] * f)), static_cast<uint8_t>(std::lround(p[1] * f)),
          static_cast<uint8_t>(std::lround(p[2] * f)), 255};
}

// A tile at zoom z holding the map's centre, and the map's centre tile one zoom further out
// (where a tile pixel spans several map pixels).
std::array<int64_t, 2> centre_tile(int z) {
  const serve::MapEntry& e = first_map();
  const auto [lon, lat] = lon_lat_of(e, e.grid.width / 2.0, e.grid.height / 2.0);
  return tile_of(lon, lat, z);
}

TEST(ServeCatalog, DatesAndBoundsFromPredictOutputs) {
  const serve::Catalog& c = fixture_api().catalog();
  ASSERT_EQ(c.entries().size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.entries()[static_cast<size_t>(i)].id, synth_date(i));
    EXPECT_EQ(c.entries()[static_cast<size_t>(i)].grid.width, 384);
  }
  const serve::MapEntry& e = first_map();
  const auto [lon, lat] = lon_lat_of(e, 192, 192);
  EXPECT_TRUE(e.bounds.contains(lon, lat));
  EXPECT_NEAR(e.pixel_metres, 10.0, 1e-9);
  EXPECT_EQ(c.dated(synth_date(1), synth_date(2)).size(), 2u);
  EXPECT_NE(error_of([] { serve::Catalog::load({"/nonexistent/folder"}); }).find("predict.json"), std::string::npos);
  // The same dates twice: refused, one region per catalog.
  EXPECT_NE(error_of([] { serve::Catalog::load({serve_catalog(), serve_catalog()}); }).find("two maps"), std::string::npos);
}

TEST(ServeCatalog, SeveralFoldersMakeOneCatalog) {
  // The fixture's four dates split over two predict folders (each predict.json listing two).
  TempDir tmp;
  for (int part = 0; part < 2; ++part) {
    const std::string dir = tmp / ("part" + std::to_string(part));
    std::filesystem::copy(serve_catalog(), dir, std::filesystem::copy_options::recursive);
    std::ifstream in(dir + "/predict.json");
    json run = json::parse(in);
    json kept = json::array();
    for (size_t i = 0; i < run["products"].size(); ++i)
      if (static_cast<int>(i / 2) == part) kept.push_back(run["products"][i]);
    run["products"] = kept;
    std::ofstream(dir + "/predict.json") << run.dump();
  }
  const serve::Catalog c = serve::Catalog::load({tmp / "part1", tmp / "part0"});
  ASSERT_EQ(c.entries().size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.entries()[static_cast<size_t>(i)].id, synth_date(i));  // in date order
  EXPECT_NE(c.entries()[0].folder, c.entries()[3].folder);
  serve::Api api(serve::Catalog::load({tmp / "part0", tmp / "part1"}), serve::ApiOptions{});
  EXPECT_EQ(body_json(get(api, "/api/v1/timeseries/0,0"))["series"].size(), 4u);
}

TEST(ServeApi, HealthInfoDates) {
  serve::Api& api = fixture_api();
  serve::Response r = get(api, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = get(api, "/api/v1/info");
  ASSERT_EQ(r.status, 200);
  const json info = body_json(r);
  ASSERT_EQ(info["classes"].size(), 9u);
  EXPECT_EQ(info["classes"][8], "snow_and_ice");
  EXPECT_EQ(info["palette"][0], "#419BDF");
  EXPECT_EQ(info["palette"][6], "#C4281B");
  EXPECT_EQ(info["maps"], 4);
  r = get(api, "/api/v1/dates");
  const json d = body_json(r);
  ASSERT_EQ(d["dates"].size(), 4u);
  EXPECT_EQ(d["dates"][2]["date"], synth_date(2));
  EXPECT_EQ(d["dates"][0]["epsg"], geo::crs_epsg(first_map().grid.crs_wkt));
  EXPECT_LT(d["bounds"][0].get<double>(), d["bounds"][2].get<double>());
}

TEST(ServeTiles, LabelTilePixelsArePredictsLabelsInDynamicWorldsPalette) {
  const auto t = centre_tile(16);  // ~2.4 m tile pixels over 10 m map pixels
  const TileCheck c = check_tile("label", 16, t[0], t[1], [](const std::vector<double>& v) {
    return v[9] == 255 ? geo::RGBA{0, 0, 0, 0} : palette(static_cast<int>(v[9]));
  });
  EXPECT_GT(c.compared, 2000);
  EXPECT_EQ(c.mismatched, 0);
}

TEST(ServeTiles, ProbabilityTileIsTheRampOfPredictsProbability) {
  const auto t = centre_tile(16);
  const TileCheck c = check_tile("prob/crops", 16, t[0], t[1], [](const std::vector<double>& v) {
    return v[4] == 255 ? geo::RGBA{0, 0, 0, 0} : serve::prob_ramp(v[4] / 254.0);
  });
  EXPECT_GT(c.compared, 2000);
  EXPECT_EQ(c.mismatched, 0);
  EXPECT_EQ(serve::prob_ramp(0), (geo::RGBA{0x44, 0x01, 0x54, 255}));
  EXPECT_EQ(serve::prob_ramp(1), (geo::RGBA{0xFD, 0xE7, 0x25, 255}));
}

TEST(ServeTiles, Top1TileIsTheLabelColourTimesItsProbability) {
  const auto t = centre_tile(16);
  const TileCheck c = check_tile("top1", 16, t[0], t[1], [](const std::vector<double>& v) {
    if (v[9] == 255) return geo::RGBA{0, 0, 0, 0};
    double top = 0;
    for (int k = 0; k < 9; ++k) top = std::max(top, v[static_cast<size_t>(k)] / 254.0);
    return palette(static_cast<int>(v[9]), top);
  });
  EXPECT_GT(c.compared, 2000);
  EXPECT_EQ(c.mismatched, 0);
}

TEST(ServeTiles, ZoomedOutLabelsArePickedNeverBlended) {
  // At zoom 11 a tile pixel is ~76 m: the map is 384 x 10 m = 3.8 km, about 50 tile pixels.
  const auto t = centre_tile(11);
  const serve::Response r = get(fixture_api(), tile_url(first_map().id, "label", 11, t[0], t[1]));
  ASSERT_EQ(r.status, 200);
  const geo::Image img = decode_png(r.body);
  int coloured = 0, other = 0;
  for (const geo::RGBA& p : img.pixels) {
    if (p.a == 0) continue;
    bool in_palette = false;
    for (int c = 0; c < 9; ++c) in_palette = in_palette || p == palette(c);
    (in_palette ? coloured : other)++;
  }
  EXPECT_GT(coloured, 500);
  EXPECT_EQ(other, 0);
}

TEST(ServeTiles, ChangeTileShowsTransitionsInChangeTifsColours) {
  const serve::MapEntry& a = first_map();
  const serve::MapEntry& b = fixture_api().catalog().entries()[2];
  const auto t = centre_tile(16);
  GDALDatasetUniquePtr later(GDALDataset::Open(b.vrt.c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
  const serve::Response r = get(fixture_api(), tile_url(a.id, "change/" + b.id, 16, t[0], t[1]));
  ASSERT_EQ(r.status, 200);
  const geo::Image img = decode_png(r.body);
  GDALDatasetUniquePtr before(GDALDataset::Open(a.vrt.c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
  int compared = 0, mismatched = 0;
  const double size = 2 * 20037508.342789244 / std::ldexp(1.0, 16);
  for (int py = 0; py < 256; py += 4)
    for (int px = 0; px < 256; px += 4) {
      double x = -20037508.342789244 + (static_cast<double>(t[0]) + (px + 0.5) / 256) * size;
      double y = 20037508.342789244 - (static_cast<double>(t[1]) + (py + 0.5) / 256) * size;
      ASSERT_TRUE(reproject(3857, a.grid.crs_wkt, x, y));
      const double col = (x - a.grid.transform[0]) / 10, row = (y - a.grid.transform[3]) / -10;
      const double fc = col - std::floor(col), fr = row - std::floor(row);
      if (fc < 0.05 || fc > 0.95 || fr < 0.05 || fr > 0.95 || col < 0 || row < 0 || col >= 384 || row >= 384) continue;
      double la = 0, lb = 0;
      ASSERT_EQ(before->GetRasterBand(10)->RasterIO(GF_Read, int(col), int(row), 1, 1, &la, 1, 1, GDT_Float64, 0, 0, nullptr), CE_None);
      ASSERT_EQ(later->GetRasterBand(10)->RasterIO(GF_Read, int(col), int(row), 1, 1, &lb, 1, 1, GDT_Float64, 0, 0, nullptr), CE_None);
      geo::RGBA want{0, 0, 0, 0};
      if (la != 255 && lb != 255) {
        const auto w = pipeline::transition_colour(int(la), int(lb));
        want = {w[0], w[1], w[2], w[3]};
      }
      ++compared;
      mismatched += !(img.at(px, py) == want);
    }
  EXPECT_GT(compared, 1000);
  EXPECT_EQ(mismatched, 0);
}

TEST(ServeTiles, OffTheMapIsTransparentAndOutOfRangeIsRefused) {
  serve::Api& api = fixture_api();
  const std::string id = first_map().id;
  serve::Response r = get(api, tile_url(id, "label", 3, 0, 0));  // the Pacific
  ASSERT_EQ(r.status, 200);
  const geo::Image img = decode_png(r.body);
  for (const auto& p : img.pixels) ASSERT_EQ(p.a, 0);
  for (const std::string& bad : std::vector<std::string>{tile_url(id, "label", 25, 0, 0), tile_url(id, "label", 2, 4, 0), tile_url(id, "label", 2, 0, -1),
                                "/api/v1/tiles/" + id + "/label/1/0/x.png", "/api/v1/tiles/" + id + "/label/1/0/0.jpg"}) {
    r = get(api, bad);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << bad << " -> " << r.status;
    EXPECT_EQ(r.content_type, "application/problem+json") << bad;
    EXPECT_EQ(body_json(r)["status"], r.status);
  }
  EXPECT_EQ(get(api, tile_url("2020-01-01", "label", 1, 0, 0)).status, 404);
  EXPECT_EQ(get(api, tile_url(id, "prob/lava", 1, 0, 0)).status, 404);
  EXPECT_EQ(get(api, tile_url(id, "hillshade", 1, 0, 0)).status, 404);
  EXPECT_EQ(get(api, tile_url("..%2F..%2Fetc", "label", 1, 0, 0)).status, 400);
}

TEST(ServeTiles, EtagCacheControlAndTheCache) {
  serve::Api& api = fixture_api();
  const auto t = centre_tile(14);
  const std::string url = tile_url(first_map().id, "top1", 14, t[0], t[1]);
  const size_t hits = api.tile_cache().hits();
  const serve::Response a = get(api, url);
  const serve::Response b = get(api, url);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, b.body);
  EXPECT_GE(api.tile_cache().hits(), hits + 1);
  std::string etag, cache;
  for (const auto& [k, v] : a.headers) {
    if (k == "ETag") etag = v;
    if (k == "Cache-Control") cache = v;
  }
  EXPECT_EQ(etag.size(), 18u);
  EXPECT_NE(cache.find("max-age"), std::string::npos);
  const serve::Response c = get(api, url, {{"if-none-match", etag}});
  EXPECT_EQ(c.status, 304);
  EXPECT_TRUE(c.body.empty());
  // The cache keeps to its budget.
  serve::ApiOptions tiny;
  tiny.tile_cache_bytes = 1;
  serve::Api small(serve::Catalog::load({serve_catalog()}), tiny);
  EXPECT_EQ(get(small, url).status, 200);
  EXPECT_EQ(small.tile_cache().size(), 0u);
}

TEST(ServeTiles, TileJson) {
  const serve::Response r = get(fixture_api(), "/api/v1/tiles/" + first_map().id + "/prob/water/tilejson.json", {{"host", "127.0.0.1:9"}});
  ASSERT_EQ(r.status, 200);
  const json j = body_json(r);
  EXPECT_EQ(j["tilejson"], "3.0.0");
  EXPECT_EQ(j["tiles"][0], "http://127.0.0.1:9/api/v1/tiles/" + first_map().id + "/prob/water/{z}/{x}/{y}.png");
  EXPECT_EQ(j["bounds"].size(), 4u);
  EXPECT_GE(j["maxzoom"].get<int>(), 15);
  // A Host header that is not a plain host:port is not echoed.
  const json k = body_json(get(fixture_api(), "/api/v1/tiles/" + first_map().id + "/label/tilejson.json", {{"host", "evil\"/x"}}));
  EXPECT_EQ(k["tiles"][0], "/api/v1/tiles/" + first_map().id + "/label/{z}/{x}/{y}.png");
}

TEST(ServePoint, ProbabilitiesAndLabelEqualPredictsCog) {
  const serve::MapEntry& e = first_map();
  int valid = 0;
  for (auto [col, row] : {std::pair{10, 20}, {200, 100}, {383, 383}, {0, 0}, {150, 300}}) {
    const auto [lon, lat] = lon_lat_of(e, col + 0.5, row + 0.5);
    char url[200];
    std::snprintf(url, sizeof url, "/api/v1/point/%.9f,%.9f?date=%s", lon, lat, e.id.c_str());
    const serve::Response r = get(fixture_api(), url);
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = body_json(r);
    EXPECT_EQ(j["col"], col);
    EXPECT_EQ(j["row"], row);
    const std::vector<double> v = cog_pixel(e.product, col, row);
    ASSERT_EQ(v.size(), 10u);
    EXPECT_EQ(j["nodata"].get<bool>(), v[9] == 255);
    if (v[9] == 255) continue;
    ++valid;
    EXPECT_EQ(j["label"], static_cast<int>(v[9]));
    for (int c = 0; c < 9; ++c) EXPECT_DOUBLE_EQ(j["probabilities"][class_names()[static_cast<size_t>(c)]].get<double>(), v[static_cast<size_t>(c)] / 254.0);
  }
  EXPECT_GE(valid, 2);
  // Outside the map: inside false, no data.
  const json out = body_json(get(fixture_api(), "/api/v1/point/-120,10?date=" + e.id));
  EXPECT_FALSE(out["inside"].get<bool>());
  EXPECT_TRUE(out["nodata"].get<bool>());
}

TEST(ServeTimeseries, EveryDateEqualsPredictsCogsJsonAndCsv) {
  const serve::MapEntry& e = first_map();
  const auto [lon, lat] = lon_lat_of(e, 77.5, 140.5);
  char url[200];
  std::snprintf(url, sizeof url, "/api/v1/timeseries/%.9f,%.9f", lon, lat);
  const serve::Response r = get(fixture_api(), url);
  ASSERT_EQ(r.status, 200);
  const json j = body_json(r);
  ASSERT_EQ(j["series"].size(), 4u);
  const serve::Response csv = get(fixture_api(), std::string(url) + "?f=csv");
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  std::vector<std::string> lines;
  for (size_t s = 0, n; s < csv.body.size(); s = n + 1) lines.push_back(csv.body.substr(s, (n = csv.body.find('\n', s)) - s));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "date,lon,lat,nodata,label,class,water,trees,grass,flooded_vegetation,crops,shrub_and_scrub,built,bare,snow_and_ice");
  for (size_t i = 0; i < 4; ++i) {
    const auto& entry = fixture_api().catalog().entries()[i];
    const json& p = j["series"][i];
    EXPECT_EQ(p["date"], entry.date);
    EXPECT_EQ(lines[i + 1].substr(0, 10), entry.date);
    const std::vector<double> v = cog_pixel(entry.product, 77, 140);
    EXPECT_EQ(p["nodata"].get<bool>(), v[9] == 255);
    if (v[9] == 255) continue;
    EXPECT_EQ(p["label"], static_cast<int>(v[9]));
    for (int c = 0; c < 9; ++c) {
      const double want = v[static_cast<size_t>(c)] / 254.0;
      EXPECT_DOUBLE_EQ(p["probabilities"][class_names()[static_cast<size_t>(c)]].get<double>(), want);
      char cell[32];
      std::snprintf(cell, sizeof cell, ",%.6f", want);
      EXPECT_NE(lines[i + 1].find(cell), std::string::npos) << lines[i + 1];
    }
  }
  // A date window.
  const json w = body_json(get(fixture_api(), std::string(url) + "?start=" + synth_date(1) + "&end=" + synth_date(2)));
  EXPECT_EQ(w["series"].size(), 2u);
}

TEST(ServeStatistics, EqualStrataStatsWholeAndInABox) {
  const serve::MapEntry& e = first_map();
  const json j = body_json(get(fixture_api(), "/api/v1/statistics?date=" + e.id));
  // strata stats itself, through the binary.
  TempDir tmp;
  const RunResult run = run_strata("stats --input " + e.vrt + " --json " + (tmp / "s.json") + " --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(tmp / "s.json");
  const json cli = json::parse(in)["inputs"][0];
  for (const char* c : class_names()) {
    EXPECT_EQ(j["km2"][c].get<double>(), cli["km2"][c].get<double>()) << c;
    EXPECT_EQ(j["pixels"][c], cli["pixels"][c]) << c;
  }
  EXPECT_EQ(j["nodata_km2"].get<double>(), cli["nodata_km2"].get<double>());

  // A box: its window, clipped out with gdal_translate, measured by strata stats.
  const auto [w, n] = lon_lat_of(e, 50, 60);
  const auto [east, s] = lon_lat_of(e, 250, 300);
  char url[256];
  std::snprintf(url, sizeof url, "/api/v1/statistics?date=%s&bbox=%.9f,%.9f,%.9f,%.9f", e.id.c_str(), w, s, east, n);
  const json b = body_json(get(fixture_api(), url));
  const json& win = b["window"];
  // The box's outline in UTM encloses the pixels its corners came from.
  EXPECT_LE(win["x"].get<int64_t>(), 51);
  EXPECT_GE(win["x"].get<int64_t>() + win["width"].get<int64_t>(), 249);
  EXPECT_LE(win["y"].get<int64_t>(), 61);
  EXPECT_GE(win["y"].get<int64_t>() + win["height"].get<int64_t>(), 299);
  EXPECT_LT(win["width"].get<int64_t>(), 240);
  int64_t pixels = b["nodata_pixels"].get<int64_t>();
  for (const char* c : class_names()) pixels += b["pixels"][c].get<int64_t>();
  EXPECT_EQ(pixels, win["width"].get<int64_t>() * win["height"].get<int64_t>());
  const std::string clip = tmp / "clip.vrt";
  const std::string srcwin = std::to_string(win["x"].get<int64_t>()) + " " + std::to_string(win["y"].get<int64_t>()) + " " +
                             std::to_string(win["width"].get<int64_t>()) + " " + std::to_string(win["height"].get<int64_t>());
  ASSERT_EQ(std::system(("gdal_translate -q -of VRT -srcwin " + srcwin + " " + e.vrt + " " + clip).c_str()), 0);
  const RunResult r2 = run_strata("stats --input " + clip + " --json " + (tmp / "c.json") + " --quiet");
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  std::ifstream in2(tmp / "c.json");
  const json cli2 = json::parse(in2)["inputs"][0];
  for (const char* c : class_names()) EXPECT_EQ(b["pixels"][c], cli2["pixels"][c]) << c;
  for (const char* c : class_names()) EXPECT_NEAR(b["km2"][c].get<double>(), cli2["km2"][c].get<double>(), 1e-9) << c;
}

TEST(ServeChange, EqualsStrataChange) {
  const auto& entries = fixture_api().catalog().entries();
  const json j = body_json(get(fixture_api(), "/api/v1/change?from=" + entries[0].id + "&to=" + entries[3].id));
  TempDir tmp;
  const RunResult run = run_strata("change --from " + entries[0].vrt + " --to " + entries[3].vrt + " --out " + (tmp / "c") + " --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(tmp / "c/transitions.json");
  const json cli = json::parse(in);
  EXPECT_EQ(j["matrix_pixels"], cli["matrix_pixels"]);
  EXPECT_EQ(j["matrix_km2"], cli["matrix_km2"]);
  EXPECT_EQ(j["changed_km2"].get<double>(), cli["changed_km2"].get<double>());
  EXPECT_EQ(j["nodata_km2"].get<double>(), cli["nodata_km2"].get<double>());
  EXPECT_EQ(j["transitions"].size(), cli["transitions"].size());
  // In a box: the same counts as change_matrix over that window.
  const auto [w, n] = lon_lat_of(entries[0], 100, 100);
  const auto [e, s] = lon_lat_of(entries[0], 200, 220);
  char url[256];
  std::snprintf(url, sizeof url, "/api/v1/change?from=%s&to=%s&bbox=%.9f,%.9f,%.9f,%.9f", entries[0].id.c_str(),
                entries[3].id.c_str(), w, s, e, n);
  const json b = body_json(get(fixture_api(), url));
  const json& win = b["window"];
  const auto r = pipeline::change_matrix(entries[0].vrt, entries[3].vrt, 0,
                                         geo::Window{win["x"], win["y"], win["width"], win["height"]});
  EXPECT_EQ(b["matrix_pixels"], json(r.pixels));
  int64_t total = 0;
  for (const auto& row : r.pixels)
    for (int64_t v : row) total += v;
  EXPECT_GT(total, 0);
  EXPECT_LT(total, 384 * 384);
}

// Scenes of processing baseline 04.00 carry +1000 DN; the rgb layer takes it off, as predict does.
TEST(ServeTiles, RgbTakesTheBaselineOffsetOff) {
  TempDir dir;
  pipeline::SynthOptions o;
  o.out_dir = dir / "s";
  o.size = 64;
  o.dates = 2;
  o.start = "2022-01-01";  // and 2022-07-02, after the change of baseline
  const auto files = pipeline::run_synth(o).files;
  serve::MapReader& reader = serve::MapReader::for_this_thread();
  EXPECT_EQ(reader.true_colour(files[0]).offset, 0.0f);
  EXPECT_EQ(reader.true_colour(files[4]).offset, 1000.0f);
  EXPECT_EQ(reader.true_colour(files[4]).bands, (std::vector<int>{3, 2, 1}));
}

TEST(ServeTiles, RgbTileIsTheScenesTrueColour) {
  const serve::MapEntry& e = first_map();
  ASSERT_FALSE(e.scene.empty());  // predict.json names the scene of each date
  const geo::Scene scene = geo::Scene::open(e.scene);
  const std::vector<int> rgb = scene.file_bands({"B4", "B3", "B2"});
  const auto t = centre_tile(16);
  const serve::Response r = get(fixture_api(), tile_url(e.id, "rgb", 16, t[0], t[1]));
  ASSERT_EQ(r.status, 200) << r.body;
  const geo::Image img = decode_png(r.body);
  GDALDatasetUniquePtr ds(GDALDataset::Open(e.scene.c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
  const double size = 2 * 20037508.342789244 / std::ldexp(1.0, 16);
  int compared = 0, mismatched = 0;
  for (int py = 0; py < 256; py += 5)
    for (int px = 0; px < 256; px += 5) {
      double x = -20037508.342789244 + (static_cast<double>(t[0]) + (px + 0.5) / 256) * size;
      double y = 20037508.342789244 - (static_cast<double>(t[1]) + (py + 0.5) / 256) * size;
      ASSERT_TRUE(reproject(3857, e.grid.crs_wkt, x, y));
      const double col = (x - e.grid.transform[0]) / 10, row = (y - e.grid.transform[3]) / -10;
      const double fc = col - std::floor(col), fr = row - std::floor(row);
      if (fc < 0.05 || fc > 0.95 || fr < 0.05 || fr > 0.95 || col < 0 || row < 0 || col >= 384 || row >= 384) continue;
      uint8_t want[3];
      for (int k = 0; k < 3; ++k) {
        double dn = 0;
        ASSERT_EQ(ds->GetRasterBand(rgb[static_cast<size_t>(k)] + 1)->RasterIO(GF_Read, int(col), int(row), 1, 1, &dn, 1, 1, GDT_Float64, 0, 0, nullptr), CE_None);
        want[k] = static_cast<uint8_t>(std::clamp(std::lround(dn * 255.0 / 3000.0), 0L, 255L));
      }
      const geo::RGBA got = img.at(px, py);
      ++compared;
      mismatched += !(got == geo::RGBA{want[0], want[1], want[2], 255});
    }
  EXPECT_GT(compared, 1000);
  EXPECT_EQ(mismatched, 0);
  // Without a scene (a catalog whose predict.json names a missing one): 404.
  TempDir tmp;
  std::filesystem::copy(serve_catalog(), tmp / "pred", std::filesystem::copy_options::recursive);
  std::string text;
  {
    std::ifstream in(tmp / "pred/predict.json");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  json run = json::parse(text);
  for (auto& p : run["products"]) p["scenes"] = json::array({"/nonexistent.tif"});
  std::ofstream(tmp / "pred/predict.json") << run.dump();
  serve::Api bare(serve::Catalog::load({tmp / "pred"}), serve::ApiOptions{});
  EXPECT_EQ(get(bare, tile_url(e.id, "rgb", 16, t[0], t[1])).status, 404);
}

TEST(ServeTimelapse, OneFramePerDateInTheRangeWithinTheCaps) {
  const serve::MapEntry& e = first_map();
  const auto [w, n] = lon_lat_of(e, 0, 0);
  const auto [east, s] = lon_lat_of(e, 384, 384);
  char bbox[160];
  std::snprintf(bbox, sizeof bbox, "%.7f,%.7f,%.7f,%.7f", w, s, east, n);
  serve::Response r = get(fixture_api(), std::string("/api/v1/timelapse.gif?bbox=") + bbox + "&size=200&delay=50");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "image/gif");
  TempDir tmp;
  std::ofstream(tmp / "t.gif", std::ios::binary) << r.body;
  const GifFile gif = read_gif(tmp / "t.gif");
  ASSERT_EQ(gif.frames.size(), 4u);
  EXPECT_EQ(std::max(gif.width, gif.height), 200);
  EXPECT_EQ(gif.frames[0].delay_cs, 50);
  // Label frames hold only Dynamic World's colours, the caption's and transparency.
  std::set<std::array<uint8_t, 3>> allowed = {{255, 255, 255}, {20, 20, 20}, {0, 0, 0}};
  for (const auto& c : class_palette()) allowed.insert(c);
  const GifFrame& f = gif.frames[1];
  int classes = 0;
  for (uint8_t i : f.indices) {
    if (static_cast<int>(i) == f.transparent) continue;
    const std::array<uint8_t, 3> c{f.palette[3 * i], f.palette[3 * i + 1], f.palette[3 * i + 2]};
    EXPECT_TRUE(allowed.count(c)) << int(c[0]) << "," << int(c[1]) << "," << int(c[2]);
    classes += c != std::array<uint8_t, 3>{255, 255, 255} && c != std::array<uint8_t, 3>{20, 20, 20};
  }
  EXPECT_GT(classes, 1000);
  r = get(fixture_api(), std::string("/api/v1/timelapse.gif?bbox=") + bbox + "&start=" + synth_date(2) + "&layer=rgb&size=64");
  ASSERT_EQ(r.status, 200) << r.body;
  std::ofstream(tmp / "u.gif", std::ios::binary) << r.body;
  EXPECT_EQ(read_gif(tmp / "u.gif").frames.size(), 2u);
  // Caps: frames, size, pixels, layer.
  serve::ApiOptions capped;
  capped.max_frames = 3;
  serve::Api small(serve::Catalog::load({serve_catalog()}), capped);
  EXPECT_EQ(get(small, std::string("/api/v1/timelapse.gif?bbox=") + bbox).status, 400);
  EXPECT_EQ(get(fixture_api(), std::string("/api/v1/timelapse.gif?bbox=") + bbox + "&size=5000").status, 400);
  EXPECT_EQ(get(fixture_api(), std::string("/api/v1/timelapse.gif?bbox=") + bbox + "&layer=change/" + e.id).status, 400);
  EXPECT_EQ(get(fixture_api(), "/api/v1/timelapse.gif").status, 400);
  EXPECT_EQ(get(fixture_api(), std::string("/api/v1/timelapse.gif?bbox=") + bbox + "&start=2030-01-01").status, 404);
}

TEST(ServeDownload, ClipIsACogOfTheTenBandsEqualToTheMap) {
  const serve::MapEntry& e = first_map();
  const auto [w, n] = lon_lat_of(e, 100, 100);
  const auto [east, s] = lon_lat_of(e, 180, 200);
  char url[256];
  std::snprintf(url, sizeof url, "/api/v1/download/%s.tif?bbox=%.9f,%.9f,%.9f,%.9f", e.id.c_str(), w, s, east, n);
  const serve::Response r = get(fixture_api(), url);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("image/tiff"), std::string::npos);
  TempDir tmp;
  std::ofstream(tmp / "clip.tif", std::ios::binary) << r.body;
  const geo::Raster clip = geo::Raster::open(tmp / "clip.tif");
  ASSERT_EQ(clip.band_count(), 10);
  EXPECT_EQ(clip.band_description(9), "label");
  EXPECT_EQ(clip.band_description(0), "water");
  GDALDatasetUniquePtr ds(GDALDataset::Open((tmp / "clip.tif").c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
  EXPECT_STREQ(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  // Its pixels are the map's at the same place.
  const geo::Raster map = geo::Raster::open(e.vrt);
  const int64_t x0 = std::llround((clip.grid().transform[0] - e.grid.transform[0]) / 10);
  const int64_t y0 = std::llround((clip.grid().transform[3] - e.grid.transform[3]) / -10);
  const geo::Window cw = clip.grid().full();
  std::vector<uint8_t> a(static_cast<size_t>(cw.pixels()) * 10), b(a.size());
  clip.read({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, cw, a.data());
  map.read({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, geo::Window{x0, y0, cw.width, cw.height}, b.data());
  EXPECT_EQ(a, b);
  EXPECT_GE(cw.width, 80);
  // Caps and bad names.
  serve::ApiOptions capped;
  capped.max_download_pixels = 1000;
  serve::Api small(serve::Catalog::load({serve_catalog()}), capped);
  EXPECT_EQ(get(small, url).status, 400);
  EXPECT_EQ(get(fixture_api(), "/api/v1/download/" + e.id + ".png").status, 404);
  EXPECT_EQ(get(fixture_api(), "/api/v1/download/2000-01-01.tif").status, 404);
  EXPECT_EQ(get(fixture_api(), "/api/v1/download/" + e.id + ".tif?bbox=-100,10,-99,11").status, 404);
}

TEST(ServeErrors, ProblemJsonForEveryBadInput) {
  serve::Api& api = fixture_api();
  const std::string id = first_map().id;
  const std::vector<std::pair<std::string, int>> cases = {
      {"/api/v1/point/200,10?date=" + id, 400},
      {"/api/v1/point/10,-91?date=" + id, 400},
      {"/api/v1/point/10?date=" + id, 400},
      {"/api/v1/point/nan,1?date=" + id, 400},
      {"/api/v1/point/1e999,1?date=" + id, 400},
      {"/api/v1/point/10,10", 400},
      {"/api/v1/point/10,10?date=2099-01-01", 404},
      {"/api/v1/timeseries/10,10?start=2021-13-01", 400},
      {"/api/v1/timeseries/10,10?start=yesterday", 400},
      {"/api/v1/timeseries/10,10?start=2022-01-01&end=2021-01-01", 400},
      {"/api/v1/timeseries/10,10?f=xml", 400},
      {"/api/v1/statistics", 400},
      {"/api/v1/statistics?date=" + id + "&bbox=1,2,3", 400},
      {"/api/v1/statistics?date=" + id + "&bbox=3,2,1,4", 400},
      {"/api/v1/statistics?date=" + id + "&bbox=1,2,300,4", 400},
      {"/api/v1/change?from=" + id, 400},
      {"/api/v1/point/1,1?date=%zz", 400},
      {"/api/v1/point/1,1?date=a%00b", 400},
      {"/api/v2/info", 404},
      {"/api/v1/nothing", 404},
  };
  for (const auto& [url, status] : cases) {
    const serve::Response r = get(api, url);
    EXPECT_EQ(r.status, status) << url << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << url;
    const json j = body_json(r);
    EXPECT_EQ(j["status"], status);
    EXPECT_FALSE(j["detail"].get<std::string>().empty());
  }
  serve::Request post;
  post.method = "POST";
  post.target = "/api/v1/info";
  const serve::Response r = api.handle(post);
  EXPECT_EQ(r.status, 405);
}

TEST(ServeStatic, FilesUnderTheRootOnlyAndHostilePathsRefused) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "web/sub");
  std::ofstream(tmp / "web/index.html") << "<html>viewer</html>";
  std::ofstream(tmp / "web/sub/app.js") << "let x = 1;";
  std::ofstream(tmp / "secret.txt") << "secret";
  std::ofstream(tmp / "web/.hidden") << "hidden";
  std::filesystem::create_symlink(tmp / "secret.txt", tmp / "web/link.txt");
  const serve::StaticFiles files(tmp / "web");
  serve::Response r = files.serve("/", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>viewer</html>");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  r = files.serve("/sub/app.js", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  for (const std::string bad : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/sub/..%2f..%2fsecret.txt",
                                "/index.html%00.js", "/sub%5c..%5c..%5csecret.txt", "/sub\\app.js", "/.hidden", "/link.txt",
                                "/sub/./app.js", "//etc/passwd", "/%zz"}) {
    r = files.serve(bad, "");
    EXPECT_TRUE(r.status == 403 || r.status == 404) << bad << " -> " << r.status;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << bad;
    EXPECT_FALSE(files.resolve(bad)) << bad;
  }
  EXPECT_EQ(files.serve("/missing.js", "").status, 404);
  // Through the API, the same refusals.
  serve::ApiOptions with_web;
  with_web.web_root = tmp / "web";
  serve::Api api(serve::Catalog::load({serve_catalog()}), with_web);
  EXPECT_EQ(get(api, "/").body, "<html>viewer</html>");
  EXPECT_EQ(get(api, "/%2e%2e/secret.txt").status, 403);
}

}  // namespace
}  // namespace strata::test
