#include "geo/synth/events.h"

#include <algorithm>
#include <cmath>

#include "geo/synth/noise.h"

namespace strata::geo::synth {
namespace {

constexpr float kBurnDays = 150.0f;       // a burn scar stays bare for a season
constexpr float kFloodPlain = 70.0f;      // pixels from the river centre line that a flood reaches
constexpr float kDeepWater = 35.0f;       // nearer than this, the flood is open water

// A noisy disc: ragged outlines instead of circles.
bool in_blob(const Event& e, int64_t x, int64_t y) {
  const float dx = static_cast<float>(x - e.cx), dy = static_cast<float>(y - e.cy);
  const float d = std::sqrt(dx * dx + dy * dy) / e.radius;
  if (d > 1.3f) return false;
  const float wobble = 0.5f * (fbm(e.seed, static_cast<float>(x) / 30.0f, static_cast<float>(y) / 30.0f, 2) - 0.5f);
  return d + wobble < 1.0f;
}

bool burnable(const LandCell& c) { return c.cls == kTrees || c.cls == kShrub || c.cls == kGrass; }
bool floodable(const LandCell& c) {
  return (c.cls == kCrops || c.cls == kGrass || c.cls == kFloodedVeg) && c.river_dist < kFloodPlain;
}

// Tight bounding box of the footprint, scanning the disc's bound once with the landscape.
template <class In>
Window footprint_bbox(const Event& e, const Landscape& land, int64_t size, In in) {
  const auto reach = static_cast<int64_t>(std::ceil(1.3f * e.radius)) + 1;
  const Window bound = intersect(Window{e.cx - reach, e.cy - reach, 2 * reach + 1, 2 * reach + 1}, Window{0, 0, size, size});
  std::vector<LandCell> cells(static_cast<size_t>(bound.pixels()));
  land.fill(bound, cells.data());
  int64_t x0 = size, y0 = size, x1 = -1, y1 = -1;
  for (int64_t y = 0; y < bound.height; ++y)
    for (int64_t x = 0; x < bound.width; ++x)
      if (in(e, bound.x + x, bound.y + y, cells[static_cast<size_t>(y * bound.width + x)])) {
        x0 = std::min(x0, bound.x + x), x1 = std::max(x1, bound.x + x);
        y0 = std::min(y0, bound.y + y), y1 = std::max(y1, bound.y + y);
      }
  if (x1 < 0) return {};
  return {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

// The candidate site with the smallest hash among coarse-grid points that pass `ok`.
template <class Ok>
bool pick_site(uint64_t seed, int64_t size, int64_t margin, Ok ok, int64_t& cx, int64_t& cy) {
  const int64_t step = std::max<int64_t>(8, size / 48);
  uint64_t best = ~0ULL;
  for (int64_t y = margin; y < size - margin; y += step)
    for (int64_t x = margin; x < size - margin; x += step) {
      const uint64_t h = hash_xy(seed, x, y);
      if (h < best && ok(x, y)) best = h, cx = x, cy = y;
    }
  return best != ~0ULL;
}

}  // namespace

bool in_fire(const Event& fire, int64_t x, int64_t y, const LandCell& c) {
  return fire.active && burnable(c) && in_blob(fire, x, y);
}

bool in_flood(const Event& flood, int64_t x, int64_t y, const LandCell& c) {
  return flood.active && floodable(c) && in_blob(flood, x, y);
}

Surface fire_surface(const Event& fire, const std::vector<Date>& dates, int date) {
  const auto days = static_cast<float>(dates[static_cast<size_t>(date)].day - dates[static_cast<size_t>(fire.first_date)].day);
  if (days < kBurnDays) return pure_surface(kBare, kBareBurnScar);
  // Shrubs regrow over the scar: half covered at once, fully after another 200 days.
  return {kShrub, kBareBurnScar, kShrubAll, std::fmin(1.0f, 0.5f + (days - kBurnDays) / 400.0f)};
}

Surface flood_surface(const LandCell& c) {
  return c.river_dist < kDeepWater ? pure_surface(kWater, kWaterTurbid) : pure_surface(kFloodedVeg, kFloodedVegAll);
}

Event place_fire(uint64_t seed, const Landscape& land, int64_t size, int dates) {
  Event e;
  e.kind = "fire";
  e.seed = hash(seed, 0xf12e);
  if (dates < 2) return e;  // a fire needs a date before it
  // Early enough in the series that dates after it show the scar and (with 5+ dates) regrowth.
  e.first_date = 1 + static_cast<int>(hash(e.seed, 1) % static_cast<uint64_t>(std::max(1, (dates - 1) / 2)));
  e.last_date = dates - 1;
  e.radius = std::clamp(static_cast<float>(size) / 12.0f, 12.0f, 150.0f);
  const auto r = static_cast<int64_t>(e.radius);
  // Preferably a forest (all of a cross of 5 points in trees); failing that any tree, then shrub
  // or grass (a scene of farmland has grass fires), always below the winter snow.
  auto fuel = [&](int64_t x, int64_t y, uint8_t cls) {
    const LandCell c = land.at(x, y);
    return c.cls == cls && c.elevation < snow_line(1) - 0.05f;
  };
  auto forest = [&](int64_t x, int64_t y) {
    return fuel(x, y, kTrees) && fuel(x + r / 2, y, kTrees) && fuel(x - r / 2, y, kTrees) && fuel(x, y + r / 2, kTrees) &&
           fuel(x, y - r / 2, kTrees);
  };
  const uint64_t site_seed = hash(e.seed, 2);
  bool found = pick_site(site_seed, size, r, forest, e.cx, e.cy);
  for (uint8_t cls : {uint8_t{kTrees}, uint8_t{kShrub}, uint8_t{kGrass}}) {
    if (found) break;
    found = pick_site(site_seed, size, r, [&](int64_t x, int64_t y) { return fuel(x, y, cls); }, e.cx, e.cy);
  }
  if (!found) return e;
  e.active = true;
  e.bbox = footprint_bbox(e, land, size, in_fire);
  e.active = e.bbox.pixels() > 0;
  return e;
}

Event place_flood(uint64_t seed, const Landscape& land, int64_t size, int dates, const Event& fire) {
  Event e;
  e.kind = "flood";
  e.seed = hash(seed, 0xf100d);
  if (dates < 2) return e;
  // 1-3 dates, not starting on the first date, preferably not on the fire's date.
  e.first_date = 1 + static_cast<int>(hash(e.seed, 1) % static_cast<uint64_t>(dates - 1));
  if (fire.active && e.first_date == fire.first_date && dates > 2) e.first_date = 1 + (e.first_date % (dates - 1));
  e.last_date = std::min(dates - 1, e.first_date + static_cast<int>(hash(e.seed, 3) % 3));
  e.radius = std::clamp(static_cast<float>(size) / 6.0f, 30.0f, 400.0f);
  auto ok = [&](int64_t x, int64_t y) {
    const LandCell c = land.at(x, y);
    return (c.cls == kCrops || c.cls == kGrass) && c.river_dist < 0.5f * kFloodPlain;
  };
  if (!pick_site(hash(e.seed, 2), size, static_cast<int64_t>(e.radius / 3), ok, e.cx, e.cy)) return e;
  e.active = true;
  e.bbox = footprint_bbox(e, land, size, in_flood);
  e.active = e.bbox.pixels() > 0;
  return e;
}

}  // namespace strata::geo::synth
