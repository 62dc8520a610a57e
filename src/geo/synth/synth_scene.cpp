#include "geo/synth/synth_scene.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "core/checked.h"
#include "core/error.h"
#include "geo/synth/noise.h"
#include "geo/synth/phenology.h"
#include "geo/sentinel2.h"

namespace strata::geo::synth {
namespace {

// Top-of-cloud DN of a thick water cloud: bright and flat through the NIR, darker in the SWIR
// (liquid water absorbs), and a clear signal in B10 (1375 nm) where the atmosphere below is
// hidden. Approximate values typical of opaque clouds in Sentinel-2 L1C.
constexpr float kCloudDN[kBands] = {6900, 6800, 6700, 6800, 6900, 7000, 7000, 7100, 7100, 4500, 900, 4800, 3300};
// What a cirrus layer of opacity 1 adds: some brightness everywhere, most in B10 (ice crystals
// are high, above the water vapour that darkens 1375 nm for surface light).
constexpr float kCirrusDN[kBands] = {900, 850, 800, 780, 780, 780, 780, 760, 760, 250, 1100, 600, 350};
// Cirrus ice is high, above the water vapour: it dims what lies below a little.
constexpr float kCirrusDimming = 0.25f;
// How much a pixel differs from its field or stand (the per-pixel share of within-class
// variation; the per-field share is 0.6): crowns and gaps make a forest, roofs and streets a town
// rough at 10 m, while a crop field, a meadow or a lake is smooth within itself.
constexpr float kPixelTexture[kClasses] = {0.3f, 0.8f, 0.5f, 0.6f, 0.5f, 0.7f, 1.0f, 0.6f, 0.4f};
// The fine texture: 2-octave value noise on a 5-pixel lattice (roofs and streets: 1.5 pixels),
// scaled to about unit variance.
constexpr float kFineTextureScale = 5.0f, kRoofTextureScale = 1.5f, kFineTextureNorm = 7.0f;
// Relief of the landscape's elevation (0..1): valleys to summits, metres.
constexpr float kReliefM = 800.0f;

enum Stream : uint64_t { sArea = 11, sPixel, sBand, sSensor, sRetrieval };

// What an atmospheric correction (Sen2Cor) retrieves: the aerosol optical depth to about 0.015 +
// 20 %, water vapour to about 8 % (Main-Knorn et al. 2017 report figures of this order).
Atmosphere retrieved_atmosphere(const Atmosphere& truth, uint64_t seed) {
  Atmosphere r = truth;
  r.aot550 = std::max(0.01f, truth.aot550 * std::exp(0.2f * gauss(hash(seed, 1))) + 0.015f * gauss(hash(seed, 2)));
  r.water_vapour = truth.water_vapour * (1.0f + 0.08f * gauss(hash(seed, 3)));
  return r;
}

int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Two pixels (indices into the halo region) show the same surface: no edge between them.
bool same_surface(const SynthBlock::Scratch& s, size_t p, size_t q) {
  return s.surf[p].label == s.surf[q].label && s.surf[p].a == s.surf[q].a && s.surf[p].b == s.surf[q].b &&
         s.surf[p].t == s.surf[q].t && s.cells[p].patch == s.cells[q].patch;
}

// The terrain's lighting averaged over the 60 m pixel at (x0, y0) (inside `a`; `light` indexes `h`):
// what an atmospheric correction's DEM (Sen2Cor: 20-60 m) corrects.
TerrainLight mean_light(const Window& a, const Window& h, int64_t x0, int64_t y0, const std::vector<TerrainLight>& light) {
  TerrainLight m{0.0f, 0.0f};
  for (int64_t y = y0; y < y0 + kCoarse; ++y)
    for (int64_t x = x0; x < x0 + kCoarse; ++x) {
      const TerrainLight& l = light[static_cast<size_t>((y - a.y + 1) * h.width + (x - a.x + 1))];
      m.direct += l.direct;
      m.sky += l.sky;
    }
  constexpr float kInv = 1.0f / static_cast<float>(kCoarse * kCoarse);
  return {m.direct * kInv, m.sky * kInv};
}

bool vegetated_scl(const Surface& s) {
  const uint8_t dominant = s.t < 0.5f ? s.a : s.b;
  return !(dominant == kCropsBareSoil || dominant == kBareBurnScar);
}

uint8_t scl_of(const Surface& s, float cloud, float cirrus, float shadow) {
  if (cloud >= 0.8f) return kSclCloudHigh;
  if (cloud >= 0.4f) return kSclCloudMedium;
  if (cirrus >= 0.2f) return kSclCirrus;
  if (shadow >= 0.4f) return kSclShadow;
  switch (s.label) {
    case kWater: return kSclWater;
    case kSnow: return kSclSnow;
    case kBuilt:
    case kBare: return kSclNotVegetated;
    default: return vegetated_scl(s) ? kSclVegetation : kSclNotVegetated;
  }
}

}  // namespace

SynthScene::SynthScene(SynthConfig config)
    : config_(std::move(config)), seed_(hash(config_.seed, 0x5e7)), land_(config_.seed, config_.size) {
  check(config_.size >= 16, "synthetic scene size must be at least 16 pixels, not " + std::to_string(config_.size));
  check(config_.dates >= 1, "a synthetic scene needs at least one date");
  checked_product({config_.size, config_.size, kBands});
  dates_ = spread_over_year(parse_date(config_.start), config_.dates);
  skies_ = make_skies(seed_, dates_, config_.size);
  for (const auto& d : dates_) {
    snow_lines_.push_back(snow_line(d.doy));
    atmospheres_.push_back(make_atmosphere(seed_, d, config_.latitude_deg));
    retrieved_.push_back(retrieved_atmosphere(atmospheres_.back(), hash(seed_, sRetrieval, static_cast<uint64_t>(d.day))));
    suns_.push_back(sun_vector(atmospheres_.back().sun));
    const Atmosphere& a = atmospheres_.back();
    const AtmosphereTerms mean = atmosphere_terms(a, a.aot550, a.view_zenith_at(0.5f, 1.0f));
    auto& share = direct_share_.emplace_back();
    for (int b = 0; b < kBands; ++b) share[static_cast<size_t>(b)] = mean[static_cast<size_t>(b)].direct;
  }
  // Native resolution of each band, and which sensor-noise hash and deviate it draws: hash 0 for
  // the 10 m bands, 1-2 for the six 20 m bands, 3 for the 60 m bands.
  int used[4] = {0, 0, 0, 0};
  const auto& bands = s2::all_bands();
  check(static_cast<int>(bands.size()) == kBands, "the Sentinel-2 band model does not have 13 bands");
  for (size_t b = 0; b < bands.size(); ++b) {
    const int res = bands[b].resolution_m;
    band_factor_[b] = res / 10;
    int src = res == 10 ? 0 : (res == 20 ? (used[1] < 5 ? 1 : 2) : 3);
    noise_source_[b] = static_cast<uint8_t>(src);
    noise_slot_[b] = static_cast<uint8_t>(used[src]++);
  }
  check(kCoarse % 2 == 0 && used[0] <= 5 && used[2] <= 5 && used[3] <= 5, "band noise slots overflow");
  spectra_ = EndmemberSpectra::from_table(config_.spectra);
  fire_.kind = "fire";
  flood_.kind = "flood";
  if (config_.fire) fire_ = place_fire(seed_, land_, config_.size, config_.dates);
  if (config_.flood) flood_ = place_flood(seed_, land_, config_.size, config_.dates, fire_);
}

Surface SynthScene::surface_at(int64_t x, int64_t y, const LandCell& c, int date, bool& changed) const {
  const int doy = dates_[static_cast<size_t>(date)].doy;
  Surface s = seasonal_surface(c, doy);
  changed = false;
  if (fire_.active && date >= fire_.first_date && in_fire(fire_, x, y, c)) {
    s = fire_surface(fire_, dates_, date);
    changed = true;
  }
  if (flood_.active && date >= flood_.first_date && date <= flood_.last_date && in_flood(flood_, x, y, c)) {
    s = flood_surface(c);
    changed = true;
  }
  return with_snow(s, c, snow_lines_[static_cast<size_t>(date)]);
}

SynthBlock SynthScene::render(const Window& window, int date) const {
  SynthBlock b;
  render(window, date, b);
  return b;
}

void SynthScene::render(const Window& w, int date, SynthBlock& out) const {
  check(w.width > 0 && w.height > 0 && w.x >= 0 && w.y >= 0 && w.x + w.width <= config_.size &&
            w.y + w.height <= config_.size,
        "synthetic block window is outside the " + std::to_string(config_.size) + "-pixel scene");
  check(date >= 0 && date < config_.dates, "date index " + std::to_string(date) + " out of range");
  const int64_t n = w.pixels();
  out.window = w;
  out.bands.assign(static_cast<size_t>(checked_mul(n, kBands)), 0);
  out.qa60.assign(static_cast<size_t>(n), 0);
  out.scl.assign(static_cast<size_t>(n), kSclNoData);
  out.label.assign(static_cast<size_t>(n), kNoLabel);
  out.worldcover.assign(static_cast<size_t>(n), 0);
  out.endmember.assign(static_cast<size_t>(n), kMixed);
  constexpr int64_t kStripRows = 64;
  for (int64_t y = w.y; y < w.y + w.height; y += kStripRows)
    render_strip({w.x, y, w.width, std::min(kStripRows, w.y + w.height - y)}, date, out);
}

void SynthScene::render_strip(const Window& w, int date, SynthBlock& out) const {
  auto& scratch = out.scratch;

  // Region `a`: the strip widened to whole 60 m pixels (6 x 6, aligned to the scene origin), so
  // that 20 m and 60 m bands can be averaged over their native pixels, as Sentinel-2 sees them;
  // `h`: `a` plus a 1-pixel halo, for mixing at class edges.
  const int64_t ax0 = floordiv(w.x, kCoarse) * kCoarse, ay0 = floordiv(w.y, kCoarse) * kCoarse;
  const int64_t ax1 = floordiv(w.x + w.width + kCoarse - 1, kCoarse) * kCoarse;
  const int64_t ay1 = floordiv(w.y + w.height + kCoarse - 1, kCoarse) * kCoarse;
  const Window a{ax0, ay0, ax1 - ax0, ay1 - ay0};
  const Window h{a.x - 1, a.y - 1, a.width + 2, a.height + 2};
  ground_spectra(h, date, scratch);
  mix_edges(a, h, scratch);
  resample_native(a, h, scratch);
  observe(w, a, h, date, out);
}

// The reflectance of every pixel of `h` without neighbours, sensor or sky: seasonal surface,
// events, snow, and within-class variation.
void SynthScene::ground_spectra(const Window& h, int date, SynthBlock::Scratch& scratch) const {
  const auto hn = static_cast<size_t>(h.pixels());
  auto& cells = scratch.cells;
  auto& surf = scratch.surf;
  auto& changed = scratch.changed;
  auto& spec = scratch.spec;
  cells.resize(hn);
  scratch.light.resize(hn);
  surf.resize(hn);
  changed.resize(hn);
  spec.resize(hn * kBands);
  const Window wide{h.x - 1, h.y - 1, h.width + 2, h.height + 2};
  scratch.wide.resize(static_cast<size_t>(wide.pixels()));
  land_.fill(wide, scratch.wide.data());
  for (int64_t y = 0; y < h.height; ++y)
    std::copy_n(scratch.wide.begin() + (y + 1) * wide.width + 1, h.width, cells.begin() + y * h.width);
  const uint64_t area_seed = hash(seed_, sArea), pixel_seed = hash(seed_, sPixel), band_seed = hash(seed_, sBand);
  const SunVector& sun = suns_[static_cast<size_t>(date)];
  const auto& share = direct_share_[static_cast<size_t>(date)];
  // The elevation's gradient by central differences, metres per metre, from the landscape over h
  // and one more pixel around it, so that a pixel does not depend on the window.
  auto elevation = [&](int64_t x, int64_t y) {
    return scratch.wide[static_cast<size_t>((y + 1) * (h.width + 2) + (x + 1))].elevation;
  };
  for (int64_t y = 0; y < h.height; ++y) {
    for (int64_t x = 0; x < h.width; ++x) {
      const auto i = static_cast<size_t>(y * h.width + x);
      const LandCell& c = cells[i];
      bool ch = false;
      const Surface s = surface_at(h.x + x, h.y + y, c, date, ch);
      surf[i] = s;
      changed[i] = ch;
      // Within-class variation that persists from date to date: a per-field (or smooth, outside
      // fields) component, a fine texture and a small per-band part (real texture is mostly
      // brightness, not colour speckle). The fine texture is spatially correlated over a few
      // pixels, as crowns, furrows and roofs are: independent per-pixel noise of the same size
      // reads as no real surface (Dynamic World's model calls it trees or shrub).
      const float g_area = c.parcel ? gauss(hash(area_seed, c.patch)) : std::clamp(c.texture, -2.0f, 2.0f);
      const float gx = static_cast<float>(h.x + x), gy = static_cast<float>(h.y + y);
      const float scale = s.label == kBuilt ? kRoofTextureScale : kFineTextureScale;
      const float g_pix = std::clamp((fbm(pixel_seed, gx / scale, gy / scale, 2) - 0.5f) * kFineTextureNorm, -2.5f, 2.5f);
      const uint64_t hp = hash_xy(pixel_seed, h.x + x, h.y + y);
      const uint64_t hb = hash(band_seed, hp);
      const uint64_t hband[3] = {mix64(hb), mix64(hb + 1), mix64(hb + 2)};  // 5 deviates each
      const auto& ma = spectra_.mean[s.a];
      const auto& mb = spectra_.mean[s.b];
      const auto& sa = spectra_.spread[s.a];
      const auto& sb = spectra_.spread[s.b];
      float* v = &spec[i * kBands];
      float g_band[kBands];  // table lookups first, so that the arithmetic below vectorises
      for (int b = 0; b < kBands; ++b) g_band[b] = normal_(hband[b / 5], b % 5);
      const float shared = 0.6f * g_area + kPixelTexture[s.label] * g_pix, t = s.t;
      TerrainLight light;  // water lies flat
      if (s.label != kWater) {
        const float dx = (elevation(x + 1, y) - elevation(x - 1, y)) * (kReliefM / 20.0f);
        const float dy = (elevation(x, y - 1) - elevation(x, y + 1)) * (kReliefM / 20.0f);  // rows run south
        light = terrain_light(dx, dy, sun);
      }
      scratch.light[i] = light;
      for (size_t b = 0; b < static_cast<size_t>(kBands); ++b) {
        const float z = std::clamp(shared + 0.05f * g_band[b], -2.0f, 2.0f);
        const float lit = light.sky + (light.direct - light.sky) * share[b];
        v[b] = (ma[b] + (mb[b] - ma[b]) * t + (sa[b] + (sb[b] - sa[b]) * t) * z) * lit;
      }
      if (s.label == kFloodedVeg) {
        // A marsh is a mosaic of stands and open water a few pixels across.
        const float open = std::clamp(0.3f + 0.25f * g_pix, 0.0f, 0.8f);
        const auto& water = spectra_.mean[kWaterClear];
        for (size_t b = 0; b < static_cast<size_t>(kBands); ++b) v[b] += (water[b] - v[b]) * open;
      }
    }
  }
}

// Linear mixing at class edges over `a` (into scratch.mixed), and which pixels are pure interior
// pixels (no edge, no event, a single endmember).
void SynthScene::mix_edges(const Window& a, const Window& h, SynthBlock::Scratch& scratch) const {
  const auto& surf = scratch.surf;
  const auto& changed = scratch.changed;
  const auto& spec = scratch.spec;
  auto same = [&](size_t p, size_t q) { return same_surface(scratch, p, q); };
  const auto an = static_cast<size_t>(a.pixels());
  auto& mixed = scratch.mixed;
  auto& interior = scratch.interior;
  mixed.resize(an * kBands);
  interior.resize(an);
  for (int64_t y = 0; y < a.height; ++y) {
    for (int64_t x = 0; x < a.width; ++x) {
      const auto i = static_cast<size_t>((y + 1) * h.width + (x + 1));
      const auto k = static_cast<size_t>(y * a.width + x);
      const size_t up = i - static_cast<size_t>(h.width), down = i + static_cast<size_t>(h.width);
      const bool edge = !(same(i, i - 1) && same(i, i + 1) && same(i, up) && same(i, down));
      const float* own = &spec[i * kBands];
      float* v = &mixed[k * kBands];
      if (edge) {
        // Linear mixing over a ~1-pixel point spread: half the pixel, an eighth from each side.
        for (int b = 0; b < kBands; ++b)
          v[b] = 0.5f * own[b] + 0.125f * (spec[(i - 1) * kBands + static_cast<size_t>(b)] +
                                           spec[(i + 1) * kBands + static_cast<size_t>(b)] +
                                           spec[up * kBands + static_cast<size_t>(b)] +
                                           spec[down * kBands + static_cast<size_t>(b)]);
      } else {
        std::copy(own, own + kBands, v);
      }
      interior[k] = !edge && !changed[i] && surf[i].pure() != kMixed;
    }
  }
}

void SynthScene::resample_native(const Window& a, const Window& h, SynthBlock::Scratch& scratch) const {
  auto& mixed = scratch.mixed;
  auto& interior = scratch.interior;
  auto same = [&](size_t p, size_t q) { return same_surface(scratch, p, q); };
  // 20 m and 60 m bands: the mean over their native pixel, replicated on the 10 m grid. A pixel
  // is pure only if its whole 60 m pixel is interior and of one surface.
  for (int b = 0; b < kBands; ++b) {
    const int64_t f = band_factor_[static_cast<size_t>(b)];
    if (f == 1) continue;
    for (int64_t by = 0; by < a.height; by += f)
      for (int64_t bx = 0; bx < a.width; bx += f) {
        float sum = 0;
        for (int64_t y = by; y < by + f; ++y)
          for (int64_t x = bx; x < bx + f; ++x) sum += mixed[static_cast<size_t>(y * a.width + x) * kBands + static_cast<size_t>(b)];
        const float mean = sum / static_cast<float>(f * f);
        for (int64_t y = by; y < by + f; ++y)
          for (int64_t x = bx; x < bx + f; ++x) mixed[static_cast<size_t>(y * a.width + x) * kBands + static_cast<size_t>(b)] = mean;
      }
  }
  for (int64_t by = 0; by < a.height; by += kCoarse)
    for (int64_t bx = 0; bx < a.width; bx += kCoarse) {
      const auto first = static_cast<size_t>((by + 1) * h.width + (bx + 1));
      uint8_t uniform = 1;
      for (int64_t y = by; y < by + kCoarse && uniform; ++y)
        for (int64_t x = bx; x < bx + kCoarse; ++x)
          if (!interior[static_cast<size_t>(y * a.width + x)] || !same(first, static_cast<size_t>((y + 1) * h.width + (x + 1)))) {
            uniform = 0;
            break;
          }
      for (int64_t y = by; y < by + kCoarse; ++y)
        for (int64_t x = bx; x < bx + kCoarse; ++x) interior[static_cast<size_t>(y * a.width + x)] = uniform;
    }
}

// What the sensor records over the strip `w`: cloud shadow on the ground, the atmosphere (with
// the surroundings' adjacency), cirrus and cloud on top, sensor noise, and for L2A the
// atmospheric and terrain correction; the DN with the baseline's offset; the label, QA and truth layers.
void SynthScene::observe(const Window& w, const Window& a, const Window& h, int date, SynthBlock& out) const {
  const Sky& sky = skies_[static_cast<size_t>(date)];
  const auto ud = static_cast<size_t>(date);
  const bool l2a = config_.level == s2::Level::l2a;
  const float offset = baseline_04(dates_[ud]) ? static_cast<float>(s2::kBaselineOffset) : 0.0f;
  const bool qa60_filled = offset == 0.0f;  // ESA left QA60 empty from baseline 04.00
  const int64_t n = out.window.pixels();
  const int64_t row0 = w.y - out.window.y;  // first row of the strip inside out.window
  auto& scratch = out.scratch;
  const auto& surf = scratch.surf;
  const auto& mixed = scratch.mixed;
  const auto& interior = scratch.interior;
  SkyLayers& layers = scratch.sky;
  sky_layers(sky, w, layers);
  OpticsInputs optics_in;
  optics_in.truth = &atmospheres_[ud];
  optics_in.retrieved = l2a ? &retrieved_[ud] : nullptr;
  optics_in.scene_size = config_.size;
  optics_in.ground = [&](int64_t x, int64_t y, float* dn) {
    bool changed = false;
    const Surface s = surface_at(x, y, land_.at(x, y), date, changed);
    const auto& ma = spectra_.mean[s.a];
    const auto& mb = spectra_.mean[s.b];
    for (size_t b = 0; b < static_cast<size_t>(kBands); ++b) dn[b] = ma[b] + (mb[b] - ma[b]) * s.t;
  };
  // The atmosphere and the terrain correction act per 60 m pixel, so that the 20 m and 60 m bands
  // stay one value over their native pixels (the terms vary over kilometres).
  scratch.optics.build(a, optics_in);
  float optics[kOpticsTerms * kBands];
  int64_t cell_x = INT64_MIN, cell_y = INT64_MIN;
  std::array<Line, kBands> toa, surface;  // of the current 60 m pixel
  std::array<float, kBands> direct{};
  const uint64_t sensor_seed = hash(seed_, sSensor, static_cast<uint64_t>(date));
  for (int64_t y = 0; y < w.height; ++y) {
    for (int64_t x = 0; x < w.width; ++x) {
      const int64_t gx = w.x + x, gy = w.y + y;
      const auto o = static_cast<size_t>((row0 + y) * w.width + x);
      const auto so = static_cast<size_t>(y * w.width + x);  // index in the strip's sky layers
      if (sky.nodata(gx, gy)) continue;  // swath edge: everything stays nodata
      const auto k = static_cast<size_t>((gy - a.y) * a.width + (gx - a.x));
      const auto i = static_cast<size_t>((gy - a.y + 1) * h.width + (gx - a.x + 1));
      const float* v = &mixed[k * kBands];
      const float cloud = layers.cloud[so], cirrus = layers.cirrus[so], shadow = layers.shadow[so];
      if (floordiv(gx, kCoarse) != cell_x || floordiv(gy, kCoarse) != cell_y) {
        cell_x = floordiv(gx, kCoarse);
        cell_y = floordiv(gy, kCoarse);
        scratch.optics.at(cell_x * kCoarse, cell_y * kCoarse, optics);
        const TerrainLight lit = l2a ? mean_light(a, h, cell_x * kCoarse, cell_y * kCoarse, scratch.light) : TerrainLight{};
        for (int b = 0; b < kBands; ++b) {
          const auto ub = static_cast<size_t>(b);
          const BandTerms t = OpticsField::truth(optics, b);
          const float env = optics[kEnv * kBands + b];
          toa[ub] = toa_line(t, env);
          direct[ub] = t.direct;
          if (!l2a) continue;
          // ... and the terrain correction with the DEM lighting of this 60 m pixel.
          const float f = 1.0f / std::max(lit.sky + (lit.direct - lit.sky) * t.direct, 0.05f);
          const Line s = surface_line(OpticsField::retrieved(optics, b), env);
          surface[ub] = {s.offset * f, s.gain * f};
        }
      }
      // Sensor noise is drawn per native pixel: 20 m and 60 m bands share it over their pixel.
      const uint64_t h10 = hash_xy(sensor_seed, gx, gy);
      const uint64_t h20 = hash_xy(sensor_seed + 1, floordiv(gx, 2), floordiv(gy, 2));
      const uint64_t h60 = hash_xy(sensor_seed + 2, floordiv(gx, kCoarse), floordiv(gy, kCoarse));
      const uint64_t noise[4] = {mix64(h10), mix64(h20), mix64(h20 + 1), mix64(h60)};
      for (int b = 0; b < kBands; ++b) {
        const auto ub = static_cast<size_t>(b);
        // A cloud's shadow takes the direct sunlight away; the skylight remains.
        float d = toa[ub](v[b] * (1.0f - shadow * direct[ub]));
        d = d * (1.0f - kCirrusDimming * cirrus) + cirrus * kCirrusDN[b];
        d = d * (1.0f - cloud) + cloud * kCloudDN[b];
        d += normal_(noise[noise_source_[ub]], noise_slot_[ub]) * (3.0f + 0.003f * d);
        if (l2a) {
          if (b == 10) continue;  // L2A has no B10
          d = surface[ub](d);
        }
        out.bands[ub * static_cast<size_t>(n) + o] = static_cast<uint16_t>(std::clamp(d + offset, 1.0f, 65535.0f) + 0.5f);
      }
      const Surface& s = surf[i];
      out.label[o] = s.label;
      out.worldcover[o] = kWorldCoverCode[s.label];
      out.scl[o] = scl_of(s, cloud, cirrus, shadow);
      if (qa60_filled) {
        if (cloud >= 0.5f) out.qa60[o] = kQaOpaque;
        else if (cirrus >= 0.2f) out.qa60[o] = kQaCirrus;
      }
      const bool clear = cloud == 0.0f && cirrus == 0.0f && shadow == 0.0f;
      if (interior[k] && clear) out.endmember[o] = s.pure();
    }
  }
}

bool baseline_04(const Date& date) {
  static const int64_t first = parse_date("2022-01-25").day;
  return date.day >= first;
}

}  // namespace strata::geo::synth
