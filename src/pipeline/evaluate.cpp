#include "pipeline/evaluate.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "geo/label_scheme.h"
#include "pipeline/class_raster.h"

namespace strata::pipeline {
namespace fs = std::filesystem;

std::vector<std::string> prediction_products(const std::string& pred) {
  std::error_code ec;
  if (!fs::is_directory(pred, ec)) return {pred};
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(pred, ec))
    if (e.path().extension() == ".vrt") out.push_back(e.path().string());
  if (ec) throw Error(pred + ": cannot list the folder: " + ec.message());
  if (out.empty()) throw Error(pred + ": holds no *.vrt prediction mosaic");
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

ProductScore score(const std::string& path, const geo::Raster& labels, int band, const geo::LabelScheme& scheme) {
  const ClassRaster pred = ClassRaster::open(path);
  require_overlap(pred.raster(), labels);
  // No data and pixels outside the label raster read as `fill`; without a declared nodata, 255 is it.
  const auto nd = labels.nodata(band);
  const int nodata = nd && *nd >= 0 && *nd <= 255 ? static_cast<int>(*nd) : kIgnoreLabel;
  const geo::Grid& g = pred.grid();
  const int64_t rows = block_rows(g.width);
  ProductScore s;
  s.prediction = path;
  std::vector<uint8_t> p, t;
  for (int64_t y = 0; y < g.height; y += rows) {
    const geo::Window w{0, y, g.width, std::min(rows, g.height - y)};
    const int64_t n = w.pixels();
    p.resize(static_cast<size_t>(n));
    t.resize(static_cast<size_t>(n));
    pred.read(w, p.data());
    labels.read_onto<uint8_t>({band}, g, w, t.data(), geo::Resampling::nearest, static_cast<uint8_t>(nodata));
    scheme.apply(t.data(), t.data(), n, labels.path(), nodata);
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] == kIgnoreLabel) {
        s.no_prediction += t[i] != kIgnoreLabel;
        t[i] = kIgnoreLabel;
      } else if (t[i] == kIgnoreLabel) {
        ++s.no_label;
      }
    }
    s.matrix.add(t.data(), p.data(), n);
  }
  return s;
}

}  // namespace

EvaluateResult evaluate(const EvaluateOptions& o) {
  const geo::LabelScheme scheme = geo::LabelScheme::load(o.label_scheme);
  const std::vector<std::string> products = prediction_products(o.pred);
  const geo::Raster labels = geo::Raster::open(o.labels);
  const int band = label_band(labels);
  if (labels.band_type(band) != geo::DataType::u8)
    throw Error(o.labels + ": label codes must be 8-bit (Byte), not " + geo::data_type_name(labels.band_type(band)));

  EvaluateResult r;
  nlohmann::json j = {{"labels", o.labels}, {"label_scheme", scheme.source()}, {"products", nlohmann::json::array()}};
  for (const std::string& path : products) {
    r.products.push_back(score(path, labels, band, scheme));
    const ProductScore& s = r.products.back();
    r.total += s.matrix;
    j["products"].push_back({{"prediction", s.prediction},
                             {"compared_pixels", s.matrix.total()},
                             {"no_prediction_pixels", s.no_prediction},
                             {"no_label_pixels", s.no_label},
                             {"metrics", nlohmann::json::parse(s.matrix.json())}});
  }
  j["total"] = nlohmann::json::parse(r.total.json());
  r.json = j.dump(2) + "\n";
  if (!o.json.empty()) write_text_atomically(o.json, r.json);
  return r;
}

}  // namespace strata::pipeline
