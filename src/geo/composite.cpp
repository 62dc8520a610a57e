#include "geo/composite.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>
#include <thread>
#include <utility>

#include "core/checked.h"
#include "core/error.h"
#include "geo/cloud_mask.h"

namespace strata::geo {

namespace {

constexpr int64_t kMaxDates = 255;  // the count band is uint8

void validate(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out) {
  const int64_t t = in.dates();
  check(in.bands >= 0 && in.height >= 0 && in.width >= 0, "composite: negative stack dimensions");
  check(t <= kMaxDates, "composite: " + std::to_string(t) + " dates; at most 255 fit the uint8 count band");
  check(in.masks.empty() || static_cast<int64_t>(in.masks.size()) == t,
        "composite: " + std::to_string(in.masks.size()) + " masks for " + std::to_string(t) + " dates");
  check(in.nodata.empty() || static_cast<int64_t>(in.nodata.size()) == t,
        "composite: " + std::to_string(in.nodata.size()) + " nodata values for " + std::to_string(t) + " dates");
  for (const uint16_t* image : in.images) check(image != nullptr, "composite: a date has no image");
  check(params.percentile >= 0.0 && params.percentile <= 100.0,
        "composite: percentile " + std::to_string(params.percentile) + " is outside 0..100");
  check(out.out != nullptr && out.count != nullptr, "composite: no output buffers");
  checked_product({in.bands, in.height, in.width});
}

const uint8_t* mask_of(const CompositeInput& in, int64_t t) {
  return in.masks.empty() ? nullptr : in.masks[static_cast<size_t>(t)];
}
std::optional<uint16_t> nodata_of(const CompositeInput& in, int64_t t) {
  return in.nodata.empty() ? std::nullopt : in.nodata[static_cast<size_t>(t)];
}

// A used value equal to out_nodata moves one DN away, so that out_nodata only means "no observation".
uint16_t away_from_nodata(uint16_t v, uint16_t out_nodata) {
  if (v != out_nodata) return v;
  return out_nodata == 65535 ? uint16_t{65534} : static_cast<uint16_t>(out_nodata + 1);
}

}  // namespace

int64_t percentile_index(int64_t k, double p) {
  check(k >= 1, "percentile_index: no values");
  // p * (k - 1) is exact for the usual integer percentiles; the epsilon keeps 30 * 10 / 100 at 3.
  const auto i = static_cast<int64_t>(std::floor(p * static_cast<double>(k - 1) / 100.0 + 1e-9));
  return std::clamp<int64_t>(i, 0, k - 1);
}

void composite_reference(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out) {
  validate(in, params, out);
  const int64_t plane = in.height * in.width;
  std::vector<int64_t> used;
  std::vector<uint16_t> values;
  for (int64_t i = 0; i < plane; ++i) {
    used.clear();
    for (int64_t t = 0; t < in.dates(); ++t) {
      const uint8_t* mask = mask_of(in, t);
      bool ok = mask == nullptr || is_clear(mask[i]);
      const std::optional<uint16_t> nd = nodata_of(in, t);
      for (int64_t b = 0; ok && nd && b < in.bands; ++b) ok = in.images[static_cast<size_t>(t)][b * plane + i] != *nd;
      if (ok) used.push_back(t);
    }
    const auto k = static_cast<int64_t>(used.size());
    out.count[i] = static_cast<uint8_t>(k);
    for (int64_t b = 0; b < in.bands; ++b) {
      if (k == 0) {
        out.out[b * plane + i] = params.out_nodata;
        continue;
      }
      values.clear();
      for (int64_t t : used) values.push_back(in.images[static_cast<size_t>(t)][b * plane + i]);
      std::sort(values.begin(), values.end());
      const uint16_t v = values[static_cast<size_t>(percentile_index(k, params.percentile))];
      out.out[b * plane + i] = away_from_nodata(v, params.out_nodata);
    }
  }
}

namespace {

constexpr int64_t kBlock = 256;         // pixels per block: a block's dates x bands fit in L2
constexpr int64_t kMaxNetworkDates = 32;  // beyond this the network's size stops paying

// Batcher's odd-even merge sort for n inputs: the network for the next power of two, keeping only
// comparators between real inputs (the missing ones act as +infinity, which those would not move).
std::vector<std::pair<int, int>> sorting_network(int n) {
  int size = 1;
  while (size < n) size *= 2;
  std::vector<std::pair<int, int>> net;
  for (int p = 1; p < size; p *= 2)
    for (int k = p; k >= 1; k /= 2)
      for (int j = k % p; j + k < size; j += 2 * k)
        for (int i = 0; i < std::min(k, size - j - k); ++i)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n) net.emplace_back(i + j, i + j + k);
  return net;
}

// What every block needs, built once per call.
struct Plan {
  const CompositeInput* in = nullptr;
  const CompositeParams* params = nullptr;
  CompositeOutput out;
  int64_t plane = 0;
  std::vector<std::pair<int, int>> network;  // empty when dates > kMaxNetworkDates
  std::vector<uint16_t> index_of_count;      // percentile_index(k) for k = 0..dates (0 for k = 0)
};

// Per-thread scratch, [dates][kBlock] arrays laid out date-major so that each date's row is contiguous.
struct Scratch {
  std::vector<uint16_t> invalid;  // 0xFFFF where the observation is not used, else 0
  std::vector<uint16_t> values;   // one band's values, invalid ones forced to 0xFFFF
  std::vector<uint16_t> count, pick, result;
  std::vector<uint16_t> gathered;  // the per-pixel path
  explicit Scratch(int64_t dates)
      : invalid(static_cast<size_t>(std::max<int64_t>(dates, 1) * kBlock)),
        values(invalid.size()),
        count(kBlock),
        pick(kBlock),
        result(kBlock),
        gathered(static_cast<size_t>(dates)) {}
};

// The loops below run over whole blocks (kBlock, a constant) where they only touch scratch, so
// that the compiler vectorises them without remainder code; the tail of a partial block holds
// stale values that are never stored. __restrict: scratch rows never overlap.
#define STRATA_ALWAYS_INLINE [[gnu::always_inline]] inline

// The validity pass reads dates x bands separate streams of 512 bytes each per block, too many
// short streams for the hardware prefetcher to follow; asking for the next block's lines while
// this one is worked on hides the DRAM latency.
STRATA_ALWAYS_INLINE void prefetch_next_block(const uint16_t* src, int64_t p0, int64_t plane) {
  constexpr int64_t kLine = 64 / sizeof(uint16_t);
  const int64_t ahead = std::min(kBlock, plane - p0 - kBlock);  // pixels of the next block that exist
  for (int64_t x = 0; x < ahead; x += kLine) __builtin_prefetch(src + kBlock + x);
}

STRATA_ALWAYS_INLINE void find_valid(const Plan& plan, int64_t p0, int64_t n, Scratch& s) {
  const CompositeInput& in = *plan.in;
  uint16_t* __restrict count = s.count.data();
  std::fill(count, count + kBlock, uint16_t{0});
  for (int64_t t = 0; t < in.dates(); ++t) {
    uint16_t* __restrict inv = s.invalid.data() + t * kBlock;
    if (const uint8_t* __restrict mask = mask_of(in, t)) {
      for (int64_t x = 0; x < n; ++x) inv[x] = is_clear(mask[p0 + x]) ? 0 : 0xFFFF;
    } else {
      std::fill(inv, inv + n, uint16_t{0});
    }
    if (const std::optional<uint16_t> nd = nodata_of(in, t)) {
      const uint16_t v = *nd;
      for (int64_t b = 0; b < in.bands; ++b) {
        const uint16_t* __restrict src = in.images[static_cast<size_t>(t)] + b * plan.plane + p0;
        for (int64_t x = 0; x < n; ++x) inv[x] |= src[x] == v ? 0xFFFF : 0;
        prefetch_next_block(src, p0, plan.plane);
      }
    }
    for (int64_t x = 0; x < kBlock; ++x) count[x] += inv[x] ? 0 : 1;
  }
  uint16_t* __restrict pick = s.pick.data();
  const uint16_t* __restrict index = plan.index_of_count.data();
  for (int64_t x = 0; x < n; ++x) pick[x] = index[count[x]];
}

// One band of one block by the sorting network: after it, row i holds each pixel's i-th smallest.
STRATA_ALWAYS_INLINE void select_by_network(const Plan& plan, int64_t band, int64_t p0, int64_t n, Scratch& s) {
  const CompositeInput& in = *plan.in;
  const int64_t dates = in.dates();
  uint16_t* values = s.values.data();
  for (int64_t t = 0; t < dates; ++t) {
    const uint16_t* __restrict src = in.images[static_cast<size_t>(t)] + band * plan.plane + p0;
    const uint16_t* __restrict inv = s.invalid.data() + t * kBlock;
    uint16_t* __restrict dst = values + t * kBlock;
    for (int64_t x = 0; x < n; ++x) dst[x] = src[x] | inv[x];
  }
  for (const auto& [i, j] : plan.network) {
    uint16_t* __restrict a = values + i * kBlock;
    uint16_t* __restrict b = values + j * kBlock;
    for (int64_t x = 0; x < kBlock; ++x) {
      const uint16_t lo = std::min(a[x], b[x]), hi = std::max(a[x], b[x]);
      a[x] = lo;
      b[x] = hi;
    }
  }
  uint16_t* __restrict r = s.result.data();
  const uint16_t* __restrict pick = s.pick.data();
  std::copy(values, values + kBlock, r);
  for (int64_t t = 1; t < dates; ++t) {
    const uint16_t* __restrict row = values + t * kBlock;
    const uint16_t tt = static_cast<uint16_t>(t);
    for (int64_t x = 0; x < kBlock; ++x) r[x] = pick[x] == tt ? row[x] : r[x];
  }
}

// One band of one block for long stacks: gather each pixel's used values and nth_element.
void select_by_pixel(const Plan& plan, int64_t band, int64_t p0, int64_t n, Scratch& s) {
  const CompositeInput& in = *plan.in;
  for (int64_t x = 0; x < n; ++x) {
    int64_t k = 0;
    for (int64_t t = 0; t < in.dates(); ++t)
      if (s.invalid[static_cast<size_t>(t * kBlock + x)] == 0)
        s.gathered[static_cast<size_t>(k++)] = in.images[static_cast<size_t>(t)][band * plan.plane + p0 + x];
    if (k == 0) continue;  // finish_band writes nodata
    const auto nth = s.gathered.begin() + s.pick[static_cast<size_t>(x)];
    std::nth_element(s.gathered.begin(), nth, s.gathered.begin() + k);
    s.result[static_cast<size_t>(x)] = *nth;
  }
}

STRATA_ALWAYS_INLINE void finish_band(const Plan& plan, int64_t band, int64_t p0, int64_t n, const Scratch& s) {
  const uint16_t nd = plan.params->out_nodata;
  const uint16_t moved = nd == 65535 ? uint16_t{65534} : static_cast<uint16_t>(nd + 1);  // away_from_nodata
  uint16_t* __restrict dst = plan.out.out + band * plan.plane + p0;
  const uint16_t* __restrict result = s.result.data();
  const uint16_t* __restrict count = s.count.data();
  for (int64_t x = 0; x < n; ++x) {
    const uint16_t v = result[x];
    dst[x] = count[x] == 0 ? nd : (v == nd ? moved : v);
  }
}

// The hot loop, compiled for AVX-512 and AVX2 beside the baseline and picked at load time by
// the CPU it runs on (GCC's target_clones), so the one binary is fast on every x86-64.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define STRATA_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define STRATA_TARGET_CLONES
#endif

STRATA_TARGET_CLONES void composite_block(const Plan& plan, int64_t p0, int64_t n, Scratch& s) {
  find_valid(plan, p0, n, s);
  for (int64_t x = 0; x < n; ++x) plan.out.count[p0 + x] = static_cast<uint8_t>(s.count[static_cast<size_t>(x)]);
  for (int64_t b = 0; b < plan.in->bands; ++b) {
    if (plan.in->dates() <= kMaxNetworkDates)
      select_by_network(plan, b, p0, n, s);
    else
      select_by_pixel(plan, b, p0, n, s);
    finish_band(plan, b, p0, n, s);
  }
}

void composite_pixels(const Plan& plan, int64_t first, int64_t last) {
  Scratch s(plan.in->dates());
  for (int64_t p0 = first; p0 < last; p0 += kBlock) composite_block(plan, p0, std::min(kBlock, last - p0), s);
}

}  // namespace

void composite_fast(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out) {
  validate(in, params, out);
  check(params.threads >= 1, "composite: threads must be at least 1, not " + std::to_string(params.threads));
  Plan plan;
  plan.in = &in;
  plan.params = &params;
  plan.out = out;
  plan.plane = in.height * in.width;
  const int64_t dates = in.dates();
  if (dates <= kMaxNetworkDates) plan.network = sorting_network(static_cast<int>(dates));
  plan.index_of_count.assign(static_cast<size_t>(dates + 1), 0);
  for (int64_t k = 1; k <= dates; ++k)
    plan.index_of_count[static_cast<size_t>(k)] = static_cast<uint16_t>(percentile_index(k, params.percentile));

  // Contiguous row ranges, one per thread; the calling thread takes the first.
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(params.threads, in.height));
  auto rows_start = [&](int64_t w) { return in.height * w / workers; };
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  auto run = [&](int64_t w) {
    try {
      composite_pixels(plan, rows_start(w) * in.width, rows_start(w + 1) * in.width);
    } catch (...) {
      errors[static_cast<size_t>(w)] = std::current_exception();
    }
  };
  for (int64_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace strata::geo
