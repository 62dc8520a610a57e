#include "geo/synth/landscape.h"

#include <climits>
#include <cmath>

#include "geo/synth/endmembers.h"
#include "geo/synth/noise.h"

namespace strata::geo::synth {
namespace {

// Streams of the seed, one per field, so that fields are independent.
enum Stream : uint64_t {
  sRiver = 1, sRiverWarpX, sRiverWarpY, sElev, sForest, sLake, sConifer, sWet, sTexture,
  sParcel, sRoadNode, sRoadEdge, sTown, sTownGreen, sQuarry, sMainRiver, sEstate, kStreamCount
};

// Sizes in pixels (10 m): rivers meander on ~5 km, hills ~3 km, forests ~2 km, lakes ~2.5 km.
constexpr float kRiverScale = 500.0f, kRiverWarp = 120.0f, kElevScale = 300.0f, kForestScale = 200.0f;
constexpr float kLakeScale = 260.0f, kConiferScale = 400.0f, kWetScale = 60.0f, kTextureScale = 24.0f;
// Farmland parcels: Voronoi cells of a jittered grid of 30 px (0.9 ha), merged into fields.
constexpr int64_t kParcelCell = 30;
// Road network: jittered nodes every 1.6 km, most joined to their east and south neighbours.
constexpr int64_t kRoadCell = 160;

int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct Point {
  float x, y;
};

Point parcel_point(uint64_t seed, int64_t i, int64_t j) {
  const uint64_t h = hash_xy(hash(seed, sParcel), i, j);
  return {(static_cast<float>(i) + 0.1f + 0.8f * unit(h)) * kParcelCell,
          (static_cast<float>(j) + 0.1f + 0.8f * unit(mix64(h))) * kParcelCell};
}

Point road_node(uint64_t seed, int64_t i, int64_t j) {
  const uint64_t h = hash_xy(hash(seed, sRoadNode), i, j);
  return {(static_cast<float>(i) + 0.2f + 0.6f * unit(h)) * kRoadCell,
          (static_cast<float>(j) + 0.2f + 0.6f * unit(mix64(h))) * kRoadCell};
}

float segment_dist2(Point p, Point a, Point b) {
  const float dx = b.x - a.x, dy = b.y - a.y;
  float t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy);
  t = clamp01(t);
  const float ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
  return ex * ex + ey * ey;
}

// Bilinear interpolation of lattice samples; the river distance is |river - 0.5| over the
// gradient of the interpolated field, i.e. the distance to the 0.5 level set (the centre line).
void interpolate(const SmoothFields& a, const SmoothFields& b, const SmoothFields& c, const SmoothFields& d,
                 float tx, float ty, SmoothFields& out, float& river_dist) {
  auto lerp2 = [&](float v00, float v10, float v01, float v11) {
    const float top = v00 + (v10 - v00) * tx, bottom = v01 + (v11 - v01) * tx;
    return top + (bottom - top) * ty;
  };
  out.river = lerp2(a.river, b.river, c.river, d.river);
  out.elev = lerp2(a.elev, b.elev, c.elev, d.elev);
  out.forest = lerp2(a.forest, b.forest, c.forest, d.forest);
  out.lake = lerp2(a.lake, b.lake, c.lake, d.lake);
  out.conifer = lerp2(a.conifer, b.conifer, c.conifer, d.conifer);
  out.wet = lerp2(a.wet, b.wet, c.wet, d.wet);
  out.texture = lerp2(a.texture, b.texture, c.texture, d.texture);
  out.main_offset = lerp2(a.main_offset, b.main_offset, c.main_offset, d.main_offset);
  out.main_slope = lerp2(a.main_slope, b.main_slope, c.main_slope, d.main_slope);
  const float gx = ((b.river - a.river) * (1.0f - ty) + (d.river - c.river) * ty) / kLattice;
  const float gy = ((c.river - a.river) * (1.0f - tx) + (d.river - b.river) * tx) / kLattice;
  river_dist = std::fabs(out.river - 0.5f) / std::sqrt(gx * gx + gy * gy + 1e-12f);
  const float main_dist = std::fabs(out.main_offset) / std::sqrt(1.0f + out.main_slope * out.main_slope);
  river_dist = std::fmin(river_dist, main_dist);
}

}  // namespace

// Per-cell results of the sharp features, reused while consecutive pixels stay in the same road
// cell / parcel cell (they only depend on the cell, so caching cannot change any value).
struct Landscape::Cache {
  struct Segment {
    Point a, b;
  };
  struct Town {
    Point centre;
    float radius;  // before the 0.75..1.25 wobble
  };
  int64_t ri = INT64_MIN, rj = INT64_MIN;
  std::vector<Segment> roads;  // road segments that pass within reach of the current road cell
  std::vector<Town> towns;     // towns that reach into it
  int64_t pi = INT64_MIN, pj = INT64_MIN;
  Point parcel[3][3];

  void road_cell(uint64_t seed, uint64_t town_seed, uint64_t edge_seed, int64_t i, int64_t j) {
    if (i == ri && j == rj) return;
    ri = i, rj = j;
    Point node[4][4];  // nodes of cells i-1..i+2, j-1..j+2
    for (int b = 0; b < 4; ++b)
      for (int a = 0; a < 4; ++a) node[b][a] = road_node(seed, i - 1 + a, j - 1 + b);
    const float x0 = static_cast<float>(i * kRoadCell) - 2.0f, x1 = static_cast<float>((i + 1) * kRoadCell) + 2.0f;
    const float y0 = static_cast<float>(j * kRoadCell) - 2.0f, y1 = static_cast<float>((j + 1) * kRoadCell) + 2.0f;
    auto touches = [&](Point a, Point b) {
      return std::fmax(a.x, b.x) >= x0 && std::fmin(a.x, b.x) <= x1 && std::fmax(a.y, b.y) >= y0 && std::fmin(a.y, b.y) <= y1;
    };
    roads.clear();
    towns.clear();
    for (int b = 0; b < 3; ++b)
      for (int a = 0; a < 3; ++a) {
        const Point n = node[b][a];
        const uint64_t th = hash_xy(town_seed, i - 1 + a, j - 1 + b);
        if (unit(th) < 0.35f) towns.push_back({n, 12.0f + 30.0f * unit(mix64(th))});
        const uint64_t eh = hash_xy(edge_seed, i - 1 + a, j - 1 + b);
        if (unit(eh) < 0.75f && touches(n, node[b][a + 1])) roads.push_back({n, node[b][a + 1]});
        if (unit(mix64(eh)) < 0.75f && touches(n, node[b + 1][a])) roads.push_back({n, node[b + 1][a]});
      }
  }
  void parcel_cell(uint64_t seed, int64_t i, int64_t j) {
    if (i == pi && j == pj) return;
    pi = i, pj = j;
    for (int b = 0; b < 3; ++b)
      for (int a = 0; a < 3; ++a) parcel[b][a] = parcel_point(seed, i - 1 + a, j - 1 + b);
  }
};

Landscape::Landscape(uint64_t seed, int64_t size)
    : seed_(hash(seed, 0x1a4d5ca9e)),
      main_y0_(static_cast<float>(size) * (0.3f + 0.4f * unit(hash(seed_, sMainRiver)))),
      main_swing_(std::fmin(400.0f, 0.5f * static_cast<float>(size))) {
  static_assert(kStreamCount <= std::tuple_size_v<decltype(streams_)>, "streams_ is too small");
  for (uint64_t k = 0; k < streams_.size(); ++k) streams_[k] = hash(seed_, k);
}

float Landscape::main_river_y(float x) const {
  return main_y0_ + main_swing_ * (fbm(hash(seed_, sMainRiver, 1), x / 600.0f, 0.5f, 3) - 0.5f);
}

Landscape::MainRiverColumn Landscape::main_river_column(int64_t i) const {
  const float x = static_cast<float>(i * kLattice);
  return {main_river_y(x), (main_river_y(x + 2.0f) - main_river_y(x - 2.0f)) / 4.0f};
}

SmoothFields Landscape::lattice_sample(int64_t i, int64_t j, const MainRiverColumn& main) const {
  const float x = static_cast<float>(i * kLattice), y = static_cast<float>(j * kLattice);
  SmoothFields s;
  // Domain-warped low-frequency noise: its 0.5 level set meanders like a river.
  const float wx = kRiverWarp * (fbm(streams_[sRiverWarpX], x / 300.0f, y / 300.0f, 2) - 0.5f);
  const float wy = kRiverWarp * (fbm(streams_[sRiverWarpY], x / 300.0f, y / 300.0f, 2) - 0.5f);
  s.river = fbm(streams_[sRiver], (x + wx) / kRiverScale, (y + wy) / kRiverScale, 3);
  s.elev = fbm(streams_[sElev], x / kElevScale, y / kElevScale, 5);
  s.forest = fbm(streams_[sForest], x / kForestScale, y / kForestScale, 5);
  s.lake = fbm(streams_[sLake], x / kLakeScale, y / kLakeScale, 4);
  s.conifer = value_noise(streams_[sConifer], x / kConiferScale, y / kConiferScale);
  s.wet = value_noise(streams_[sWet], x / kWetScale, y / kWetScale);
  // Two octaves of value noise have std ~0.16 around 0.5: scale to about unit variance.
  s.texture = (fbm(streams_[sTexture], x / kTextureScale, y / kTextureScale, 2) - 0.5f) * 5.0f;
  s.main_offset = y - main.y;
  s.main_slope = main.slope;
  return s;
}

LandCell Landscape::classify(int64_t x, int64_t y, const SmoothFields& s, float river_dist, Cache& cache) const {
  LandCell c;
  c.river_dist = river_dist;
  c.texture = s.texture;
  // Hills: stretched fBm, pressed down in river valleys so that floods find low land there.
  const float hills = clamp01(0.5f + (s.elev - 0.5f) * 2.2f);
  c.elevation = hills * (0.3f + 0.7f * (1.0f - std::exp(-river_dist / 250.0f)));
  const Point p{static_cast<float>(x) + 0.5f, static_cast<float>(y) + 0.5f};

  // Rivers: 2-6 px (20-60 m) wide, the main river 6-10 px.
  const bool main_river = std::fabs(s.main_offset) < 3.0f * (1.0f + std::fabs(s.main_slope)) + 8.0f;
  const float half_width = (main_river ? 3.0f : 1.0f) + 2.0f * s.wet;
  if (river_dist < half_width) return c.cls = kWater, c;
  if (s.lake > 0.67f && c.elevation < 0.55f) return c.cls = kWater, c;
  if (s.lake > 0.65f && c.elevation < 0.55f) return c.cls = kFloodedVeg, c;  // reedy lake shores

  // Roads and towns on a jittered node grid; quarries in some road cells.
  const int64_t ri = floordiv(x, kRoadCell), rj = floordiv(y, kRoadCell);
  cache.road_cell(seed_, streams_[sTown], streams_[sRoadEdge], ri, rj);
  for (const auto& town : cache.towns) {
    const float dx = p.x - town.centre.x, dy = p.y - town.centre.y;
    const float r = town.radius * (0.75f + 0.5f * s.wet + 0.12f * s.texture);  // ragged outskirts
    if (dx * dx + dy * dy < r * r) {
      const uint64_t green = hash_xy(streams_[sTownGreen], floordiv(x, 6), floordiv(y, 6));
      c.cls = unit(green) < 0.15f ? (unit(mix64(green)) < 0.5f ? kGrass : kTrees) : kBuilt;
      return c;
    }
  }
  for (const auto& road : cache.roads)
    if (segment_dist2(p, road.a, road.b) < 0.6f) return c.cls = kBuilt, c;
  {
    const uint64_t qh = hash_xy(streams_[sQuarry], ri, rj);
    if (unit(qh) < 0.3f) {
      const float qx = (static_cast<float>(ri) + 0.3f + 0.4f * unit(mix64(qh))) * kRoadCell;
      const float qy = (static_cast<float>(rj) + 0.3f + 0.4f * unit(mix64(mix64(qh)))) * kRoadCell;
      const float radius = 6.0f + 14.0f * unit(mix64(qh + 1)) * (0.8f + 0.4f * s.wet);
      const float dx = p.x - qx, dy = p.y - qy;
      if (dx * dx + dy * dy < radius * radius) return c.cls = kBare, c;
    }
  }

  if (river_dist < 30.0f && s.wet > 0.6f) return c.cls = kFloodedVeg, c;  // riverside marsh
  if (c.elevation > 0.82f && s.forest < 0.6f) return c.cls = kBare, c;     // rock above the tree line
  // Forest is likelier uphill; its fringe and the high ground are shrub.
  const float forest = s.forest + 0.25f * (c.elevation - 0.5f);
  if (forest > 0.57f) {
    c.cls = kTrees;
    c.conifer = s.conifer + 0.6f * (c.elevation - 0.4f) > 0.55f;
    return c;
  }
  if (forest > 0.54f || c.elevation > 0.72f) return c.cls = kShrub, c;

  // Farmland: the Voronoi cell of the nearest jittered parcel point.
  const int64_t pi = floordiv(x, kParcelCell), pj = floordiv(y, kParcelCell);
  cache.parcel_cell(seed_, pi, pj);
  float best = 1e30f;
  int64_t bi = pi, bj = pj;
  for (int b = 0; b < 3; ++b) {
    for (int a = 0; a < 3; ++a) {
      const Point q = cache.parcel[b][a];
      const float d = (q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y);
      if (d < best) best = d, bi = pi - 1 + a, bj = pj - 1 + b;
    }
  }
  // Neighbouring cells merge into one field: within an "estate" of 6x6 cells, fields are
  // mx x my cells (mx, my in 1..3, divisors of 6 so fields nest in estates): 0.9 to 8 ha.
  const int64_t ei = floordiv(bi, 6), ej = floordiv(bj, 6);
  const uint64_t eh = hash_xy(streams_[sEstate], ei, ej);
  const int64_t mx = 1 + static_cast<int64_t>(eh % 3), my = 1 + static_cast<int64_t>((eh >> 8) % 3);
  const uint64_t ph = hash_xy(streams_[sParcel], floordiv(bi, mx), floordiv(bj, my) * 4 + my);
  c.parcel = true;
  c.patch = static_cast<uint32_t>(ph >> 32) | 1u;
  c.cls = unit(ph) < 0.68f ? kCrops : kGrass;
  return c;
}

LandCell Landscape::at(int64_t x, int64_t y) const {
  const int64_t i = floordiv(x, kLattice), j = floordiv(y, kLattice);
  const float tx = static_cast<float>(x - i * kLattice) / kLattice, ty = static_cast<float>(y - j * kLattice) / kLattice;
  SmoothFields s;
  float river_dist = 0;
  const MainRiverColumn m0 = main_river_column(i), m1 = main_river_column(i + 1);
  interpolate(lattice_sample(i, j, m0), lattice_sample(i + 1, j, m1), lattice_sample(i, j + 1, m0), lattice_sample(i + 1, j + 1, m1),
              tx, ty, s, river_dist);
  Cache cache;
  return classify(x, y, s, river_dist, cache);
}

void Landscape::fill(const Window& w, LandCell* out) const {
  const int64_t i0 = floordiv(w.x, kLattice), j0 = floordiv(w.y, kLattice);
  const int64_t i1 = floordiv(w.x + w.width - 1, kLattice) + 1, j1 = floordiv(w.y + w.height - 1, kLattice) + 1;
  const int64_t ln = i1 - i0 + 1;
  std::vector<SmoothFields> lat(static_cast<size_t>(ln * (j1 - j0 + 1)));
  std::vector<MainRiverColumn> main;  // depends on the column only: once per column, not per sample
  for (int64_t i = i0; i <= i1; ++i) main.push_back(main_river_column(i));
  for (int64_t j = j0; j <= j1; ++j)
    for (int64_t i = i0; i <= i1; ++i)
      lat[static_cast<size_t>((j - j0) * ln + (i - i0))] = lattice_sample(i, j, main[static_cast<size_t>(i - i0)]);
  Cache cache;
  for (int64_t y = w.y; y < w.y + w.height; ++y) {
    const int64_t j = floordiv(y, kLattice);
    const float ty = static_cast<float>(y - j * kLattice) / kLattice;
    for (int64_t x = w.x; x < w.x + w.width; ++x) {
      const int64_t i = floordiv(x, kLattice);
      const float tx = static_cast<float>(x - i * kLattice) / kLattice;
      const SmoothFields* row0 = &lat[static_cast<size_t>((j - j0) * ln + (i - i0))];
      const SmoothFields* row1 = row0 + ln;
      SmoothFields s;
      float river_dist = 0;
      interpolate(row0[0], row0[1], row1[0], row1[1], tx, ty, s, river_dist);
      out[(y - w.y) * w.width + (x - w.x)] = classify(x, y, s, river_dist, cache);
    }
  }
}

}  // namespace strata::geo::synth
