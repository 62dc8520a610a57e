#include "geo/synth/synth_scene.h"

#include <algorithm>
#include <cmath>

#include "core/checked.h"
#include "core/error.h"
#include "geo/synth/noise.h"
#include "geo/synth/phenology.h"

namespace strata::geo::synth {
namespace {

// Top-of-cloud DN of a thick water cloud: bright and flat through the NIR, darker in the SWIR
// (liquid water absorbs), and a clear signal in B10 (1375 nm) where the atmosphere below is
// hidden. Approximate values typical of opaque clouds in Sentinel-2 L1C.
constexpr float kCloudDN[kBands] = {6900, 6800, 6700, 6800, 6900, 7000, 7000, 7100, 7100, 4500, 900, 4800, 3300};
// What a cirrus layer of opacity 1 adds: some brightness everywhere, most in B10 (ice crystals
// are high, above the water vapour that darkens 1375 nm for surface light).
constexpr float kCirrusDN[kBands] = {900, 850, 800, 780, 780, 780, 780, 760, 760, 250, 1100, 600, 350};
constexpr float kShadowDarkening = 0.6f;  // direct sunlight blocked; diffuse skylight remains

enum Stream : uint64_t { sArea = 11, sPixel, sBand, sSensor };

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
  for (const auto& d : dates_) snow_lines_.push_back(snow_line(d.doy));
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
  const Sky& sky = skies_[static_cast<size_t>(date)];
  const int64_t n = out.window.pixels();
  const int64_t row0 = w.y - out.window.y;  // first row of the strip inside out.window
  auto& scratch = out.scratch;

  // The window plus a 1-pixel halo: mixed pixels at class edges blend with their neighbours.
  const Window h{w.x - 1, w.y - 1, w.width + 2, w.height + 2};
  const auto hn = static_cast<size_t>(h.pixels());
  auto& cells = scratch.cells;
  auto& surf = scratch.surf;
  auto& changed = scratch.changed;
  auto& spec = scratch.spec;
  cells.resize(hn);
  surf.resize(hn);
  changed.resize(hn);
  spec.resize(hn * kBands);
  land_.fill(h, cells.data());
  const uint64_t area_seed = hash(seed_, sArea), pixel_seed = hash(seed_, sPixel), band_seed = hash(seed_, sBand);
  for (int64_t y = 0; y < h.height; ++y) {
    for (int64_t x = 0; x < h.width; ++x) {
      const auto i = static_cast<size_t>(y * h.width + x);
      const LandCell& c = cells[i];
      bool ch = false;
      const Surface s = surface_at(h.x + x, h.y + y, c, date, ch);
      surf[i] = s;
      changed[i] = ch;
      // Within-class variation that persists from date to date: a per-field (or smooth, outside
      // fields) component, a per-pixel brightness and a per-band part, mixed to unit variance.
      const float g_area = c.parcel ? gauss(hash(area_seed, c.patch)) : std::clamp(c.texture, -2.0f, 2.0f);
      const uint64_t hp = hash_xy(pixel_seed, h.x + x, h.y + y);
      const float g_pix = gauss(hp);
      const uint64_t hb = hash(band_seed, hp);
      const uint64_t hband[3] = {mix64(hb), mix64(hb + 1), mix64(hb + 2)};  // 5 deviates each
      const auto& ma = spectra_.mean[s.a];
      const auto& mb = spectra_.mean[s.b];
      const auto& sa = spectra_.spread[s.a];
      const auto& sb = spectra_.spread[s.b];
      float* v = &spec[i * kBands];
      for (int b = 0; b < kBands; ++b) {
        const auto ub = static_cast<size_t>(b);
        const float g_band = normal_(hband[ub / 5], static_cast<int>(ub % 5));
        const float z = std::clamp(0.6f * g_area + 0.4f * g_pix + 0.69f * g_band, -2.0f, 2.0f);
        v[b] = ma[ub] + (mb[ub] - ma[ub]) * s.t + (sa[ub] + (sb[ub] - sa[ub]) * s.t) * z;
      }
    }
  }

  SkyLayers& layers = scratch.sky;
  sky_layers(sky, w, layers);
  const uint64_t sensor_seed = hash(seed_, sSensor, static_cast<uint64_t>(date));
  auto same = [&](size_t a, size_t b) {
    return surf[a].label == surf[b].label && surf[a].a == surf[b].a && surf[a].b == surf[b].b &&
           surf[a].t == surf[b].t && cells[a].patch == cells[b].patch;
  };
  float v[kBands];
  for (int64_t y = 0; y < w.height; ++y) {
    for (int64_t x = 0; x < w.width; ++x) {
      const int64_t gx = w.x + x, gy = w.y + y;
      const auto o = static_cast<size_t>((row0 + y) * w.width + x);
      const auto so = static_cast<size_t>(y * w.width + x);  // index in the strip's sky layers
      if (sky.nodata(gx, gy)) continue;  // swath edge: everything stays nodata
      const auto i = static_cast<size_t>((y + 1) * h.width + (x + 1));
      const size_t up = i - static_cast<size_t>(h.width), down = i + static_cast<size_t>(h.width);
      const bool edge = !(same(i, i - 1) && same(i, i + 1) && same(i, up) && same(i, down));
      const float* own = &spec[i * kBands];
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
      const float cloud = layers.cloud[so], cirrus = layers.cirrus[so], shadow = layers.shadow[so];
      const uint64_t hs = hash_xy(sensor_seed, gx, gy);
      const uint64_t hsensor[3] = {mix64(hs), mix64(hs + 1), mix64(hs + 2)};
      for (int b = 0; b < kBands; ++b) {
        float d = v[b] * (1.0f - kShadowDarkening * shadow) + cirrus * kCirrusDN[b];
        d = d * (1.0f - cloud) + cloud * kCloudDN[b];
        d += normal_(hsensor[b / 5], b % 5) * (8.0f + 0.01f * d);  // sensor noise
        out.bands[static_cast<size_t>(b) * static_cast<size_t>(n) + o] =
            static_cast<uint16_t>(std::clamp(d, 1.0f, 65535.0f) + 0.5f);
      }
      const Surface& s = surf[i];
      out.label[o] = s.label;
      out.worldcover[o] = kWorldCoverCode[s.label];
      out.scl[o] = scl_of(s, cloud, cirrus, shadow);
      if (cloud >= 0.5f) out.qa60[o] = kQaOpaque;
      else if (cirrus >= 0.2f) out.qa60[o] = kQaCirrus;
      const bool clear = cloud == 0.0f && cirrus == 0.0f && shadow == 0.0f;
      if (!edge && clear && !changed[i]) out.endmember[o] = s.pure();
    }
  }
}

}  // namespace strata::geo::synth
