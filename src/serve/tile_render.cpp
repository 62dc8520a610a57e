#include "serve/tile_render.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/classes.h"
#include "pipeline/change.h"
#include "serve/web_mercator.h"

namespace strata::serve {
namespace {

constexpr float kOff = std::numeric_limits<float>::quiet_NaN();

geo::RGBA class_colour(int c, double brightness = 1.0) {
  const auto& p = class_palette()[static_cast<size_t>(c)];
  auto s = [brightness](uint8_t v) { return static_cast<uint8_t>(std::lround(v * std::clamp(brightness, 0.0, 1.0))); };
  return {s(p[0]), s(p[1]), s(p[2]), 255};
}

bool is_class(float v) { return v == v && v >= 0 && v < kNumClasses && v == std::floor(v); }

// Where each view pixel's centre falls on a grid (fractional col, row), NaN off the projection's
// domain. PROJ transforms a lattice every 16 px and the pixels between are interpolated
// bilinearly, as GDAL's approximate transformer does: over 16 px of a tile the map's projection
// is linear to far below a pixel. Where a lattice point has no image, every pixel is transformed.
void view_to_grid(MapReader& reader, const geo::Grid& g, const View& v, std::vector<double>& cols, std::vector<double>& rows) {
  const TileBounds& b = v.mercator;
  const double sx = (b.max_x - b.min_x) / v.width, sy = (b.max_y - b.min_y) / v.height;
  const size_t n = static_cast<size_t>(v.width) * static_cast<size_t>(v.height);
  const geo::CrsTransform& ct = reader.from_web_mercator(g.crs_wkt);
  cols.resize(n);
  rows.resize(n);
  constexpr int step = 16;
  const int lw = (v.width + step - 1) / step + 1, lh = (v.height + step - 1) / step + 1;
  std::vector<double> lx(static_cast<size_t>(lw * lh)), ly(lx.size());
  for (int j = 0; j < lh; ++j)
    for (int i = 0; i < lw; ++i) {
      lx[static_cast<size_t>(j * lw + i)] = b.min_x + (std::min(i * step, v.width) + 0.5) * sx;
      ly[static_cast<size_t>(j * lw + i)] = b.max_y - (std::min(j * step, v.height) + 0.5) * sy;
    }
  std::vector<int> ok(lx.size());
  const bool lattice = ct.apply(lx.data(), ly.data(), lx.size(), ok.data());
  if (lattice) {
    for (int py = 0; py < v.height; ++py) {
      const int j = py / step;
      const double fy = static_cast<double>(py - j * step) / (std::min((j + 1) * step, v.height) - j * step);
      for (int px = 0; px < v.width; ++px) {
        const int i = px / step;
        const double fx = static_cast<double>(px - i * step) / (std::min((i + 1) * step, v.width) - i * step);
        const size_t k00 = static_cast<size_t>(j * lw + i), k10 = k00 + 1, k01 = k00 + static_cast<size_t>(lw), k11 = k01 + 1;
        const double x = (lx[k00] * (1 - fx) + lx[k10] * fx) * (1 - fy) + (lx[k01] * (1 - fx) + lx[k11] * fx) * fy;
        const double y = (ly[k00] * (1 - fx) + ly[k10] * fx) * (1 - fy) + (ly[k01] * (1 - fx) + ly[k11] * fx) * fy;
        const size_t o = static_cast<size_t>(py) * static_cast<size_t>(v.width) + static_cast<size_t>(px);
        cols[o] = (x - g.transform[0]) / g.transform[1];
        rows[o] = (y - g.transform[3]) / g.transform[5];
      }
    }
    return;
  }
  for (int py = 0; py < v.height; ++py)
    for (int px = 0; px < v.width; ++px) {
      cols[static_cast<size_t>(py) * static_cast<size_t>(v.width) + static_cast<size_t>(px)] = b.min_x + (px + 0.5) * sx;
      rows[static_cast<size_t>(py) * static_cast<size_t>(v.width) + static_cast<size_t>(px)] = b.max_y - (py + 0.5) * sy;
    }
  std::vector<int> each(n);
  ct.apply(cols.data(), rows.data(), n, each.data());
  for (size_t i = 0; i < n; ++i) {
    if (!each[i]) {
      cols[i] = rows[i] = std::nan("");
      continue;
    }
    cols[i] = (cols[i] - g.transform[0]) / g.transform[1];
    rows[i] = (rows[i] - g.transform[3]) / g.transform[5];
  }
}

uint8_t stretch(float dn) { return static_cast<uint8_t>(std::clamp(std::lround(dn * (255.0 / 3000.0)), 0L, 255L)); }

}  // namespace

std::string Layer::name() const {
  switch (kind) {
    case Kind::label: return "label";
    case Kind::probability: return std::string("prob/") + class_names()[static_cast<size_t>(cls)];
    case Kind::top1: return "top1";
    case Kind::change: return "change/" + to->id;
    case Kind::rgb: return "rgb";
  }
  return "";
}

const std::vector<std::array<uint8_t, 3>>& prob_ramp_stops() {
  static const std::vector<std::array<uint8_t, 3>> stops = {
      {0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3E, 0x4A, 0x89}, {0x31, 0x68, 0x8E}, {0x26, 0x82, 0x8E},
      {0x1F, 0x9E, 0x89}, {0x35, 0xB7, 0x79}, {0x6D, 0xCD, 0x59}, {0xB4, 0xDE, 0x2C}, {0xFD, 0xE7, 0x25}};
  return stops;
}

geo::RGBA prob_ramp(double p) {
  const auto& s = prob_ramp_stops();
  const double t = std::clamp(p, 0.0, 1.0) * static_cast<double>(s.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), s.size() - 2);
  const double f = t - static_cast<double>(i);
  auto mix = [&](int k) { return static_cast<uint8_t>(std::lround(s[i][k] + (s[i + 1][k] - s[i][k]) * f)); };
  return {mix(0), mix(1), mix(2), 255};
}

geo::Image render_view(MapReader& reader, const MapEntry& map, const Layer& layer, const View& view) {
  geo::Image out_image(view.width, view.height);
  const bool rgb = layer.kind == Layer::Kind::rgb;
  const geo::Raster& r = rgb ? reader.raster(map.scene) : reader.raster(map);
  const geo::Grid& g = r.grid();
  std::vector<double> cols, rows;
  view_to_grid(reader, g, view, cols, rows);

  // The grid pixels the view touches.
  double c0 = 1e300, c1 = -1e300, r0 = 1e300, r1 = -1e300;
  auto on_grid = [&](size_t i) {
    return cols[i] >= 0 && rows[i] >= 0 && cols[i] < static_cast<double>(g.width) && rows[i] < static_cast<double>(g.height);
  };
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!on_grid(i)) continue;
    c0 = std::min(c0, cols[i]), c1 = std::max(c1, cols[i]), r0 = std::min(r0, rows[i]), r1 = std::max(r1, rows[i]);
  }
  if (c0 > c1) return out_image;  // off the map
  const int64_t x0 = static_cast<int64_t>(std::floor(c0)), y0 = static_cast<int64_t>(std::floor(r0));
  const int64_t x1 = static_cast<int64_t>(std::floor(c1)) + 1, y1 = static_cast<int64_t>(std::floor(r1)) + 1;
  // Zoomed out, read every f-th pixel (GDAL takes them from the overviews): an integer step, so
  // each view pixel still lands on one map pixel.
  const int64_t f = std::max<int64_t>(1, std::min((x1 - x0) / view.width, (y1 - y0) / view.height));
  geo::Grid read_grid = g;
  read_grid.width = (x1 - x0 + f - 1) / f;
  read_grid.height = (y1 - y0 + f - 1) / f;
  read_grid.transform = {g.x_at(static_cast<double>(x0)), g.transform[1] * static_cast<double>(f), 0.0,
                         g.y_at(static_cast<double>(y0)), 0.0, g.transform[5] * static_cast<double>(f)};
  const int64_t n = read_grid.width * read_grid.height;

  std::vector<int> bands;
  switch (layer.kind) {
    case Layer::Kind::label: bands = {9}; break;
    case Layer::Kind::probability: bands = {layer.cls}; break;
    case Layer::Kind::top1: bands = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; break;
    case Layer::Kind::change: bands = {9}; break;
    case Layer::Kind::rgb: bands = reader.true_colour(map.scene).bands; break;
  }
  std::vector<float> values(static_cast<size_t>(n) * bands.size());
  r.read_onto(bands, read_grid, read_grid.full(), values.data(), geo::Resampling::nearest, kOff);
  std::vector<float> later;
  if (layer.kind == Layer::Kind::change) {
    later.resize(static_cast<size_t>(n));
    reader.raster(*layer.to).read_onto({9}, read_grid, read_grid.full(), later.data(), geo::Resampling::nearest, kOff);
  }
  const bool byte = r.band_type(0) == geo::DataType::u8;
  const std::array<double, kNumClasses> scales = rgb ? std::array<double, kNumClasses>{} : reader.probability_scales(map);
  // A scene's nodata DN (0 for Sentinel-2 products) in all three bands is no observation.
  const float scene_nodata = rgb ? static_cast<float>(r.nodata(bands[0]).value_or(0.0)) : 0.0f;
  const float rgb_offset = rgb ? reader.true_colour(map.scene).offset : 0.0f;
  const size_t plane = static_cast<size_t>(n);

  for (size_t i = 0; i < cols.size(); ++i) {
    if (!on_grid(i)) continue;
    const int64_t bc = (static_cast<int64_t>(cols[i]) - x0) / f, br = (static_cast<int64_t>(rows[i]) - y0) / f;
    if (bc < 0 || br < 0 || bc >= read_grid.width || br >= read_grid.height) continue;
    const size_t k = static_cast<size_t>(br * read_grid.width + bc);
    geo::RGBA& out = out_image.pixels[i];
    switch (layer.kind) {
      case Layer::Kind::label:
        if (is_class(values[k])) out = class_colour(static_cast<int>(values[k]));
        break;
      case Layer::Kind::probability:
        if (auto p = probability_of(values[k], scales[static_cast<size_t>(layer.cls)], byte)) out = prob_ramp(*p);
        break;
      case Layer::Kind::top1: {
        const float label = values[9 * plane + k];
        if (!is_class(label)) break;
        double top = 0;
        for (size_t b = 0; b < kNumClasses; ++b)
          if (auto p = probability_of(values[b * plane + k], scales[b], byte)) top = std::max(top, *p);
        out = class_colour(static_cast<int>(label), top);
        break;
      }
      case Layer::Kind::change:
        if (is_class(values[k]) && is_class(later[k])) {
          const auto t = pipeline::transition_colour(static_cast<int>(values[k]), static_cast<int>(later[k]));
          out = {t[0], t[1], t[2], t[3]};
        }
        break;
      case Layer::Kind::rgb: {
        const float red = values[k], green = values[plane + k], blue = values[2 * plane + k];
        if (red != red || (red == scene_nodata && green == scene_nodata && blue == scene_nodata)) break;
        out = {stretch(red - rgb_offset), stretch(green - rgb_offset), stretch(blue - rgb_offset), 255};
        break;
      }
    }
  }
  return out_image;
}

geo::Image render_tile(MapReader& reader, const MapEntry& map, const Layer& layer, int z, int64_t x, int64_t y) {
  return render_view(reader, map, layer, View{tile_bounds(z, x, y), kTileSize, kTileSize});
}

}  // namespace strata::serve
