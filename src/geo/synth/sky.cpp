#include "geo/synth/sky.h"

#include <algorithm>
#include <cmath>

#include "geo/synth/landscape.h"
#include "geo/synth/noise.h"

namespace strata::geo::synth {
namespace {

constexpr float kCloudScale = 250.0f;  // cloud fields of a few km
constexpr float kCirrusScaleX = 700.0f, kCirrusScaleY = 140.0f;  // streaky

int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

float cloud_noise(uint64_t seed, float x, float y) { return fbm(seed, x / kCloudScale, y / kCloudScale, 5); }
float cirrus_noise(uint64_t seed, float x, float y) { return fbm(seed, x / kCirrusScaleX, y / kCirrusScaleY, 3); }

// The level of `noise` exceeded by a fraction `cover` of the plane, from 2048 hashed points.
template <class F>
float quantile_level(uint64_t seed, float cover, F noise) {
  std::vector<float> v(2048);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint64_t h = hash(seed, i);
    v[i] = noise(unit(h) * 20000.0f, unit(mix64(h)) * 20000.0f);
  }
  std::sort(v.begin(), v.end());
  const auto k = static_cast<size_t>(std::clamp((1.0f - cover) * 2048.0f, 0.0f, 2047.0f));
  return v[k];
}

// Samples f on the lattice covering `w` shifted by (dx, dy) and interpolates it per pixel.
template <class F>
void lattice_field(const Window& w, int64_t dx, int64_t dy, F f, std::vector<float>& out) {
  const int64_t x0 = w.x + dx, y0 = w.y + dy;
  const int64_t i0 = floordiv(x0, kLattice), j0 = floordiv(y0, kLattice);
  const int64_t i1 = floordiv(x0 + w.width - 1, kLattice) + 1, j1 = floordiv(y0 + w.height - 1, kLattice) + 1;
  const int64_t ln = i1 - i0 + 1;
  std::vector<float> lat(static_cast<size_t>(ln * (j1 - j0 + 1)));
  for (int64_t j = j0; j <= j1; ++j)
    for (int64_t i = i0; i <= i1; ++i)
      lat[static_cast<size_t>((j - j0) * ln + (i - i0))] =
          f(static_cast<float>(i * kLattice), static_cast<float>(j * kLattice));
  out.resize(static_cast<size_t>(w.width * w.height));
  for (int64_t y = 0; y < w.height; ++y) {
    const int64_t j = floordiv(y0 + y, kLattice);
    const float ty = static_cast<float>(y0 + y - j * kLattice) / kLattice;
    for (int64_t x = 0; x < w.width; ++x) {
      const int64_t i = floordiv(x0 + x, kLattice);
      const float tx = static_cast<float>(x0 + x - i * kLattice) / kLattice;
      const float* r0 = &lat[static_cast<size_t>((j - j0) * ln + (i - i0))];
      const float* r1 = r0 + ln;
      const float top = r0[0] + (r0[1] - r0[0]) * tx, bottom = r1[0] + (r1[1] - r1[0]) * tx;
      out[static_cast<size_t>(y * w.width + x)] = top + (bottom - top) * ty;
    }
  }
}

}  // namespace

std::vector<Sky> make_skies(uint64_t seed, const std::vector<Date>& dates, int64_t scene_size) {
  const uint64_t base = hash(seed, 0x5c1e5);
  const int count = static_cast<int>(dates.size());
  const auto phase = static_cast<int>(hash(base, 999) % 3);
  std::vector<Sky> skies(dates.size());
  for (int k = 0; k < count; ++k) {
    Sky& s = skies[static_cast<size_t>(k)];
    const uint64_t h = hash(base, static_cast<uint64_t>(k));
    s.cloud_seed = hash(h, 1);
    s.cirrus_seed = hash(h, 2);
    const int kind = (k + phase) % 3;  // 0 clear, 1 light cloud + cirrus, 2 heavy cloud
    if (kind == 1) s.cloud_cover = 0.05f + 0.2f * unit(hash(h, 3));
    if (kind == 2) s.cloud_cover = 0.35f + 0.4f * unit(hash(h, 3));
    if (s.cloud_cover > 0)
      s.cloud_threshold = quantile_level(hash(h, 4), s.cloud_cover,
                                         [&](float x, float y) { return cloud_noise(s.cloud_seed, x, y); });
    if (kind == 1 || (kind == 2 && unit(hash(h, 5)) < 0.5f)) {
      s.cirrus_amount = 0.3f + 0.4f * unit(hash(h, 6));
      s.cirrus_threshold = quantile_level(hash(h, 7), 0.45f,
                                          [&](float x, float y) { return cirrus_noise(s.cirrus_seed, x, y); });
    }
    // Sun elevation at ~10:30 local time, mid-latitudes: ~20 deg in winter, ~60 in summer. Clouds
    // ~1 km high: the shadow lies 100 px / tan(elevation) away, towards the north-west (the sun is
    // in the south-east), so the casting cloud is to the south-east: +x, +y. Multiples of the lattice.
    const double pi = 3.14159265358979;
    const double elev_deg = 40.0 + 20.0 * std::cos(2.0 * pi * (dates[static_cast<size_t>(k)].doy - 172) / 365.0);
    const double reach = 100.0 / std::tan(elev_deg * pi / 180.0);
    s.shadow_dx = kLattice * static_cast<int64_t>(std::lround(0.5 * reach / kLattice));
    s.shadow_dy = kLattice * static_cast<int64_t>(std::lround(0.85 * reach / kLattice));
    if (k > 0 && unit(hash(h, 8)) < 0.2f) s.edge = true;
  }
  if (count >= 2) {
    bool have = false;
    for (const auto& s : skies) have = have || s.edge;
    if (!have) skies[static_cast<size_t>(1 + hash(base, 777) % static_cast<uint64_t>(count - 1))].edge = true;
  }
  for (int k = 0; k < count; ++k) {
    Sky& s = skies[static_cast<size_t>(k)];
    if (!s.edge) continue;
    const uint64_t h = hash(base, static_cast<uint64_t>(k), 9);
    // The swath edge is slanted about 10 degrees off north, like Sentinel-2's orbit; it cuts
    // off 15-40 % of the scene on one side.
    s.edge_right = unit(h) < 0.5f;
    s.edge_slope = (unit(mix64(h)) < 0.5f ? -1.0 : 1.0) * 0.18;
    const double cut = 0.15 + 0.25 * unit(mix64(mix64(h)));
    const double n = static_cast<double>(scene_size);
    s.edge_x0 = (s.edge_right ? (1.0 - cut) * n : cut * n) - s.edge_slope * 0.5 * n;
  }
  return skies;
}

void sky_layers(const Sky& sky, const Window& w, SkyLayers& out) {
  const auto n = static_cast<size_t>(w.width * w.height);
  out.cloud.assign(n, 0.0f);
  out.cirrus.assign(n, 0.0f);
  out.shadow.assign(n, 0.0f);
  if (sky.cloud_cover > 0) {
    // Opacity rises from 0 to 1 over 0.05 of fBm above the threshold: thick cores, thin edges.
    const float t = sky.cloud_threshold;
    auto opacity = [&](float x, float y) { return smoothstep(t, t + 0.05f, cloud_noise(sky.cloud_seed, x, y)); };
    lattice_field(w, 0, 0, opacity, out.cloud);
    std::vector<float> caster;
    lattice_field(w, sky.shadow_dx, sky.shadow_dy, opacity, caster);
    for (size_t i = 0; i < n; ++i) out.shadow[i] = caster[i] * (1.0f - out.cloud[i]);
  }
  if (sky.cirrus_amount > 0) {
    const float t = sky.cirrus_threshold, a = sky.cirrus_amount;
    lattice_field(w, 0, 0, [&](float x, float y) { return a * smoothstep(t, t + 0.08f, cirrus_noise(sky.cirrus_seed, x, y)); },
                  out.cirrus);
  }
}

}  // namespace strata::geo::synth
