#pragma once
// Helpers for the serve tests: the Api over the fixture catalog, GET requests, decoding PNG tiles,
// and reading a map's pixels straight from predict's COGs (not through serve's code).
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "geo/image.h"
#include "serve/api.h"
#include "serve_fixture.h"

namespace strata::test {

inline serve::Api& fixture_api() {
  static serve::Api api(serve::Catalog::load({serve_catalog()}), serve::ApiOptions{});
  return api;
}

inline serve::Response get(serve::Api& api, const std::string& target, std::map<std::string, std::string> headers = {}) {
  serve::Request r;
  r.method = "GET";
  r.target = target;
  r.headers = std::move(headers);
  return api.handle(r);
}

inline nlohmann::json body_json(const serve::Response& r) { return nlohmann::json::parse(r.body); }

inline geo::Image decode_png(const std::string& bytes) {
  static int counter = 0;
  const std::string name = "/vsimem/test-tile-" + std::to_string(counter++) + ".png";
  VSILFILE* f = VSIFileFromMemBuffer(name.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())), bytes.size(), FALSE);
  VSIFCloseL(f);
  GDALDatasetUniquePtr ds(GDALDataset::Open(name.c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
  geo::Image img;
  if (!ds) return img;
  img = geo::Image(ds->GetRasterXSize(), ds->GetRasterYSize());
  EXPECT_EQ(ds->GetRasterCount(), 4);
  if (ds->RasterIO(GF_Read, 0, 0, static_cast<int>(img.width), static_cast<int>(img.height), img.pixels.data(),
                   static_cast<int>(img.width), static_cast<int>(img.height), GDT_Byte, 4, nullptr, 4, img.width * 4, 1,
                   nullptr) != CE_None)
    ADD_FAILURE() << "cannot read the PNG";
  ds.reset();
  VSIUnlink(name.c_str());
  return img;
}

// A point in `to` CRS from `from` (traditional GIS order), through OGR directly (one
// transformation per pair, kept).
inline bool reproject(int from_epsg, const std::string& to_wkt, double& x, double& y) {
  static std::map<std::pair<int, std::string>, std::unique_ptr<OGRCoordinateTransformation>> cache;
  auto& ct = cache[{from_epsg, to_wkt}];
  if (!ct) {
    OGRSpatialReference a, b;
    a.importFromEPSG(from_epsg);
    b.importFromWkt(to_wkt.c_str());
    a.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    b.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    ct.reset(OGRCreateCoordinateTransformation(&a, &b));
  }
  return ct && ct->Transform(1, &x, &y);
}

// The 10 band values of the map pixel (col, row) of a product, read from the predict tile COG that
// holds it (predict.json lists the tiles; each is named r<ROW>_c<COL>.tif by its origin).
inline std::vector<double> cog_pixel(const std::string& product, int64_t col, int64_t row) {
  const std::string pred = serve_catalog();
  for (const auto& f : std::filesystem::directory_iterator(std::filesystem::path(pred) / product)) {
    if (f.path().extension() != ".tif") continue;
    GDALDatasetUniquePtr ds(GDALDataset::Open(f.path().c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
    double t[6], vt[6];
    ds->GetGeoTransform(t);
    GDALDatasetUniquePtr vrt(GDALDataset::Open((pred + "/" + product + ".vrt").c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr));
    vrt->GetGeoTransform(vt);
    const int64_t x0 = std::llround((t[0] - vt[0]) / vt[1]), y0 = std::llround((t[3] - vt[3]) / vt[5]);
    const int64_t c = col - x0, r = row - y0;
    if (c < 0 || r < 0 || c >= ds->GetRasterXSize() || r >= ds->GetRasterYSize()) continue;
    std::vector<double> v(10);
    for (int b = 0; b < 10; ++b)
      if (ds->GetRasterBand(b + 1)->RasterIO(GF_Read, static_cast<int>(c), static_cast<int>(r), 1, 1, &v[static_cast<size_t>(b)], 1, 1,
                                             GDT_Float64, 0, 0, nullptr) != CE_None)
        ADD_FAILURE() << "read " << f.path();
    return v;
  }
  ADD_FAILURE() << "no tile of " << product << " holds " << col << "," << row;
  return {};
}

}  // namespace strata::test
