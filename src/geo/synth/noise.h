#pragma once
// Counter-based randomness for the synthetic scene: every random quantity is a pure function of
// (seed, stream, integer coordinates), so any block of any date can be computed alone and the
// output does not depend on block size, block order or thread count.
#include <array>
#include <cmath>
#include <cstdint>

namespace strata::geo::synth {

// splitmix64's finaliser: a good 64-bit mixer, cheap enough to call per pixel and band.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t hash(uint64_t seed, uint64_t a) { return mix64(seed + 0x9e3779b97f4a7c15ULL * (a + 1)); }
inline uint64_t hash(uint64_t seed, uint64_t a, uint64_t b) { return hash(hash(seed, a), b); }
inline uint64_t hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) { return hash(hash(hash(seed, a), b), c); }
// Coordinates may be negative (halos, displaced shadows): hash their two's-complement bits.
inline uint64_t hash_xy(uint64_t seed, int64_t x, int64_t y) {
  return hash(seed, static_cast<uint64_t>(x), static_cast<uint64_t>(y));
}

// Uniform in [0, 1) from the top 24 bits (exact in float).
inline float unit(uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f); }

// Approximately standard normal from one hash: the sum of four 16-bit uniforms (Irwin-Hall,
// variance 4/12) rescaled to variance 1. Bounded to +-3.46, which keeps reflectance positive.
inline float gauss(uint64_t h) {
  const float s = static_cast<float>((h & 0xffff) + ((h >> 16) & 0xffff) + ((h >> 32) & 0xffff) + (h >> 48));
  return (s * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

// Value noise: uniform values on the integer lattice, smoothstep-interpolated. Range [0, 1).
inline float value_noise(uint64_t seed, float x, float y) {
  const float fx = std::floor(x), fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3.0f - 2.0f * tx);
  ty = ty * ty * (3.0f - 2.0f * ty);
  // hash_xy(seed, x, y) = hash(hash(seed, x), y): the column hashes are shared by two corners.
  const uint64_t c0 = hash(seed, static_cast<uint64_t>(ix)), c1 = hash(seed, static_cast<uint64_t>(ix + 1));
  const auto r0 = static_cast<uint64_t>(iy), r1 = static_cast<uint64_t>(iy + 1);
  const float v00 = unit(hash(c0, r0)), v10 = unit(hash(c1, r0));
  const float v01 = unit(hash(c0, r1)), v11 = unit(hash(c1, r1));
  const float a = v00 + (v10 - v00) * tx, b = v01 + (v11 - v01) * tx;
  return a + (b - a) * ty;
}

// Fractal (fBm) value noise with `octaves` octaves, lacunarity 2, gain 0.5, normalised so the
// mean is 0.5. Coordinates are in units of the coarsest wavelength.
inline float fbm(uint64_t seed, float x, float y, int octaves) {
  float sum = 0.0f, amp = 1.0f, norm = 0.0f;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(hash(seed, static_cast<uint64_t>(o)), x, y);
    norm += amp;
    amp *= 0.5f;
    x = x * 2.0f + 17.13f;  // offset so octaves do not share lattice origins
    y = y * 2.0f + 31.71f;
  }
  return sum / norm;
}

inline float smoothstep(float e0, float e1, float x) {
  float t = (x - e0) / (e1 - e0);
  t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  return t * t * (3.0f - 2.0f * t);
}

inline float clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

}  // namespace strata::geo::synth

namespace strata::geo::synth {

// Standard normal deviates by table lookup: 12 bits of a hash index the inverse normal CDF at
// 4096 equiprobable points, so one 64-bit hash yields five deviates (the per-band noise of 13
// bands costs 3 hashes instead of 13). Built once per scene; bounded to about +-3.4.
class NormalTable {
 public:
  NormalTable() {
    for (size_t i = 0; i < table_.size(); ++i) {
      const double p = (static_cast<double>(i) + 0.5) / static_cast<double>(table_.size());
      double lo = -8.0, hi = 8.0;  // bisection on the CDF 0.5 * erfc(-x / sqrt 2)
      for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * std::erfc(-mid / 1.4142135623730951) < p ? lo : hi) = mid;
      }
      table_[i] = static_cast<float>(0.5 * (lo + hi));
    }
  }
  // The k-th (0..4) deviate of hash h.
  float operator()(uint64_t h, int k) const { return table_[(h >> (12 * k)) & 0xfff]; }

 private:
  std::array<float, 4096> table_{};
};

}  // namespace strata::geo::synth
