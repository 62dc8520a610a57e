// composite_fast(): the contract of composite.h, computed a vector register of pixels at a time.
//
// Pixels go in blocks of kBlock. Per block, one pass over every date's bands finds which
// observations are used (mask clear, no band at the date's nodata) and their count. Then per band,
// for each group of W pixels (one register), the T values across dates are loaded into T vector registers
// (unused ones forced to 65535 so that they sort last), sorted by a fixed sorting network of
// min/max, and each lane picks the row its count asks for. The network is generated at compile
// time for every T up to kMaxNetworkDates, so the T vectors stay in registers throughout.
#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "geo/cloud_mask.h"
#include "geo/composite.h"
#include "geo/composite_detail.h"

namespace strata::geo {

namespace {

constexpr int64_t kBlock = 256;  // pixels per block: a block's dates x bands (66 KB for 10 x 13) stay in L2
// Stacks of more dates take the per-pixel path: each network size is a separate compiled kernel,
// and 16 covers monthly and most seasonal stacks while keeping compile time reasonable.
constexpr int kMaxNetworkDates = 16;

// W pixels per vector: the ISA's register width (32 for AVX-512, 16 for AVX2, 8 for SSE2). The
// kernels are always inlined into one function per ISA, so these vectors never cross an ABI
// boundary and GCC's notes about the vector ABI do not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
// (Spelled out per width: GCC drops vector_size on a typedef that depends on a template parameter.)
typedef uint16_t U16x8 __attribute__((vector_size(16)));
typedef uint16_t U16x16 __attribute__((vector_size(32)));
typedef uint16_t U16x32 __attribute__((vector_size(64)));
template <int W>
struct Lanes;
template <>
struct Lanes<8> {
  using type = U16x8;
};
template <>
struct Lanes<16> {
  using type = U16x16;
};
template <>
struct Lanes<32> {
  using type = U16x32;
};
template <int W>
using U16v = typename Lanes<W>::type;
static_assert(sizeof(U16v<8>) == 16 && sizeof(U16v<16>) == 32 && sizeof(U16v<32>) == 64);

#define STRATA_ALWAYS_INLINE [[gnu::always_inline]] inline

// ---- Batcher's odd-even merge sort, at compile time ----

struct Comparator {
  int i = 0, j = 0;
};

// Calls f(i, j) for each comparator of the network for n inputs: the network for the next power
// of two, keeping only comparators between real inputs (the missing inputs act as +infinity,
// which those comparators would never move).
template <class F>
constexpr void for_each_comparator(int n, F f) {
  int size = 1;
  while (size < n) size *= 2;
  for (int p = 1; p < size; p *= 2)
    for (int k = p; k >= 1; k /= 2)
      for (int j = k % p; j + k < size; j += 2 * k)
        for (int i = 0; i < std::min(k, size - j - k); ++i)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n) f(i + j, i + j + k);
}

constexpr int network_length(int n) {
  int count = 0;
  for_each_comparator(n, [&](int, int) { ++count; });
  return count;
}

template <int N>
constexpr std::array<Comparator, network_length(N)> make_network() {
  std::array<Comparator, network_length(N)> net{};
  int c = 0;
  for_each_comparator(N, [&](int i, int j) { net[static_cast<size_t>(c++)] = {i, j}; });
  return net;
}

template <int N>
inline constexpr auto kNetwork = make_network<N>();

// ---- the lane kernel ----

template <int W>
STRATA_ALWAYS_INLINE U16v<W> load(const uint16_t* p) {
  U16v<W> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <int W>
STRATA_ALWAYS_INLINE void store(uint16_t* p, const U16v<W>& v) {
  std::memcpy(p, &v, sizeof v);
}

template <int W>
STRATA_ALWAYS_INLINE void compare_exchange(U16v<W>& a, U16v<W>& b) {
  // Written as two selects (not one shared mask) so that GCC emits min/max (vpminuw, vpmaxuw).
  const U16v<W> x = a, y = b;
  a = x < y ? x : y;
  b = x < y ? y : x;
}

// Index sequences make every register index a constant, so v[] never touches memory.
template <int W, int T, size_t... K>
STRATA_ALWAYS_INLINE void sort_lanes(U16v<W> (&v)[T], std::index_sequence<K...>) {
  (compare_exchange<W>(v[kNetwork<T>[K].i], v[kNetwork<T>[K].j]), ...);
}

template <int W, int T, size_t... D>
STRATA_ALWAYS_INLINE void load_lanes(U16v<W> (&v)[T], const std::array<const uint16_t*, T>& rows,
                                     const uint16_t* invalid, int64_t x, std::index_sequence<D...>) {
  ((v[D] = load<W>(rows[D] + x) | load<W>(invalid + static_cast<int64_t>(D) * kBlock + x)), ...);
}

template <int W, int T, size_t... D>
STRATA_ALWAYS_INLINE U16v<W> pick_lanes(const U16v<W> (&v)[T], const U16v<W>& pick, std::index_sequence<D...>) {
  U16v<W> r = v[0];
  ((r = pick == static_cast<uint16_t>(D + 1) ? v[D + 1] : r), ...);
  return r;
}

// One band of one block: result[x] = the pick[x]-th smallest used value of pixel x.
template <int W, int T>
STRATA_ALWAYS_INLINE void select_band(const std::array<const uint16_t*, T>& rows, const uint16_t* invalid,
                                      const uint16_t* pick, uint16_t* result) {
  static_assert(kBlock % W == 0);
  for (int64_t x = 0; x < kBlock; x += W) {
    U16v<W> v[T];
    load_lanes<W, T>(v, rows, invalid, x, std::make_index_sequence<T>{});
    sort_lanes<W, T>(v, std::make_index_sequence<kNetwork<T>.size()>{});
    store<W>(result + x, pick_lanes<W, T>(v, load<W>(pick + x), std::make_index_sequence<T - 1>{}));
  }
}

// ---- blocks ----

// What every block needs, built once per call.
struct Plan {
  const CompositeInput* in = nullptr;
  CompositeOutput out;
  uint16_t out_nodata = 0;
  int64_t plane = 0;
  std::vector<uint16_t> index_of_count;  // percentile_index(k) for k = 0..dates (0 for k = 0)
};

// Per-thread scratch; the [dates][kBlock] arrays are date-major so that each date's row is contiguous.
struct Scratch {
  std::vector<uint16_t> invalid;  // 0xFFFF where the observation is not used, else 0
  std::vector<uint16_t> staged;   // a partial block's values, padded to kBlock
  std::vector<uint16_t> count, pick, result;
  std::vector<uint16_t> gathered;  // the per-pixel path
  explicit Scratch(int64_t dates)
      : invalid(static_cast<size_t>(std::max<int64_t>(dates, 1) * kBlock)),
        staged(invalid.size()),
        count(kBlock),
        pick(kBlock),
        result(kBlock),
        gathered(static_cast<size_t>(dates)) {}
};

const uint16_t* band_row(const Plan& plan, int64_t t, int64_t band, int64_t p0) {
  return plan.in->images[static_cast<size_t>(t)] + band * plan.plane + p0;
}

// The validity pass reads dates x bands separate streams of kBlock values per block, too many short
// streams for the hardware prefetcher to follow; asking for the next block's lines while this one
// is worked on hides the DRAM latency.
STRATA_ALWAYS_INLINE void prefetch_next_block(const uint16_t* src, int64_t p0, int64_t plane) {
  constexpr int64_t kLine = 64 / sizeof(uint16_t);
  const int64_t ahead = std::min(kBlock, plane - p0 - kBlock);  // pixels of the next block that exist
  for (int64_t x = 0; x < ahead; x += kLine) __builtin_prefetch(src + kBlock + x);
}

// Fills s.invalid, s.count and s.pick for pixels [p0, p0 + n); lanes past n are "unused".
STRATA_ALWAYS_INLINE void find_valid(const Plan& plan, int64_t p0, int64_t n, Scratch& s) {
  const CompositeInput& in = *plan.in;
  uint16_t* __restrict count = s.count.data();
  std::fill(count, count + kBlock, uint16_t{0});
  for (int64_t t = 0; t < in.dates(); ++t) {
    uint16_t* __restrict inv = s.invalid.data() + t * kBlock;
    if (const uint8_t* __restrict mask = detail::mask_of(in, t)) {
      for (int64_t x = 0; x < n; ++x) inv[x] = is_clear(mask[p0 + x]) ? 0 : 0xFFFF;
    } else {
      std::fill(inv, inv + n, uint16_t{0});
    }
    std::fill(inv + n, inv + kBlock, uint16_t{0xFFFF});
    if (const std::optional<uint16_t> nd = detail::nodata_of(in, t)) {
      const uint16_t v = *nd;
      for (int64_t b = 0; b < in.bands; ++b) {
        const uint16_t* __restrict src = band_row(plan, t, b, p0);
        for (int64_t x = 0; x < n; ++x) inv[x] |= src[x] == v ? 0xFFFF : 0;
        prefetch_next_block(src, p0, plan.plane);
      }
    }
    for (int64_t x = 0; x < kBlock; ++x) count[x] += inv[x] ? 0 : 1;
  }
  uint16_t* __restrict pick = s.pick.data();
  const uint16_t* __restrict index = plan.index_of_count.data();
  for (int64_t x = 0; x < kBlock; ++x) pick[x] = index[count[x]];
}

STRATA_ALWAYS_INLINE void finish_band(const Plan& plan, int64_t band, int64_t p0, int64_t n, const Scratch& s) {
  const uint16_t nd = plan.out_nodata;
  const uint16_t moved = detail::away_from_nodata(nd, nd);
  uint16_t* __restrict dst = plan.out.out + band * plan.plane + p0;
  const uint16_t* __restrict result = s.result.data();
  const uint16_t* __restrict count = s.count.data();
  for (int64_t x = 0; x < n; ++x) {
    const uint16_t v = result[x];
    dst[x] = count[x] == 0 ? nd : (v == nd ? moved : v);
  }
}

void write_count(const Plan& plan, int64_t p0, int64_t n, const Scratch& s) {
  for (int64_t x = 0; x < n; ++x) plan.out.count[p0 + x] = static_cast<uint8_t>(s.count[static_cast<size_t>(x)]);
}

// A block of a stack of T <= kMaxNetworkDates dates, by the network, W pixels at a time.
template <int W, int T>
STRATA_ALWAYS_INLINE void block_by_network(const Plan& plan, int64_t p0, int64_t n, Scratch& s) {
  find_valid(plan, p0, n, s);
  write_count(plan, p0, n, s);
  for (int64_t b = 0; b < plan.in->bands; ++b) {
    std::array<const uint16_t*, T> rows{};
    for (int t = 0; t < T; ++t) {
      rows[static_cast<size_t>(t)] = band_row(plan, t, b, p0);
      prefetch_next_block(rows[static_cast<size_t>(t)], p0, plan.plane);  // for when find_valid did not read it
      if (n < kBlock) {  // a partial block: stage it so that the kernel never reads past the image
        uint16_t* staged = s.staged.data() + t * kBlock;
        std::copy(rows[static_cast<size_t>(t)], rows[static_cast<size_t>(t)] + n, staged);
        rows[static_cast<size_t>(t)] = staged;
      }
    }
    select_band<W, T>(rows, s.invalid.data(), s.pick.data(), s.result.data());
    finish_band(plan, b, p0, n, s);
  }
}

// A block of a long stack (or none): gather each pixel's used values and nth_element.
void block_by_pixel(const Plan& plan, int64_t p0, int64_t n, Scratch& s) {
  find_valid(plan, p0, n, s);
  write_count(plan, p0, n, s);
  const CompositeInput& in = *plan.in;
  for (int64_t b = 0; b < in.bands; ++b) {
    for (int64_t x = 0; x < n; ++x) {
      int64_t k = 0;
      for (int64_t t = 0; t < in.dates(); ++t)
        if (s.invalid[static_cast<size_t>(t * kBlock + x)] == 0)
          s.gathered[static_cast<size_t>(k++)] = band_row(plan, t, b, p0)[x];
      if (k == 0) continue;  // finish_band writes nodata
      const auto nth = s.gathered.begin() + s.pick[static_cast<size_t>(x)];
      std::nth_element(s.gathered.begin(), nth, s.gathered.begin() + k);
      s.result[static_cast<size_t>(x)] = *nth;
    }
    finish_band(plan, b, p0, n, s);
  }
}

template <int W, size_t... I>
STRATA_ALWAYS_INLINE bool dispatch_dates(const Plan& plan, int64_t p0, int64_t n, Scratch& s,
                                         std::index_sequence<I...>) {
  const int64_t dates = plan.in->dates();
  return ((dates == static_cast<int64_t>(I + 1)
               ? (block_by_network<W, static_cast<int>(I + 1)>(plan, p0, n, s), true)
               : false) ||
          ...);
}

template <int W>
STRATA_ALWAYS_INLINE void composite_rows_of_width(const Plan& plan, int64_t first, int64_t last) {
  Scratch s(plan.in->dates());
  for (int64_t p0 = first; p0 < last; p0 += kBlock) {
    const int64_t n = std::min(kBlock, last - p0);
    if (!dispatch_dates<W>(plan, p0, n, s, std::make_index_sequence<kMaxNetworkDates>{})) block_by_pixel(plan, p0, n, s);
  }
}

// One function per instruction set, each with its native vector width; composite_rows() picks the
// best the CPU it runs on has, so one binary is fast on every x86-64.
void composite_rows_baseline(const Plan& plan, int64_t first, int64_t last) {
  composite_rows_of_width<8>(plan, first, last);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void composite_rows_avx2(const Plan& plan, int64_t first, int64_t last) {
  composite_rows_of_width<16>(plan, first, last);
}
__attribute__((target("avx512f,avx512bw,avx512vl"))) void composite_rows_avx512(const Plan& plan, int64_t first,
                                                                               int64_t last) {
  composite_rows_of_width<32>(plan, first, last);
}
#endif

void composite_rows(const Plan& plan, int64_t first, int64_t last) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return composite_rows_avx512(plan, first, last);
  if (__builtin_cpu_supports("avx2")) return composite_rows_avx2(plan, first, last);
#endif
  composite_rows_baseline(plan, first, last);
}

}  // namespace

void composite_fast(const CompositeInput& in, const CompositeParams& params, const CompositeOutput& out) {
  detail::validate(in, params, out);
  check(params.threads >= 1, "composite: threads must be at least 1, not " + std::to_string(params.threads));
  Plan plan;
  plan.in = &in;
  plan.out = out;
  plan.out_nodata = params.out_nodata;
  plan.plane = in.height * in.width;
  const int64_t dates = in.dates();
  plan.index_of_count.assign(static_cast<size_t>(dates + 1), 0);
  for (int64_t k = 1; k <= dates; ++k)
    plan.index_of_count[static_cast<size_t>(k)] = static_cast<uint16_t>(percentile_index(k, params.percentile));

  // Contiguous row ranges, one per thread; the calling thread takes the first.
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(params.threads, in.height));
  auto first_row = [&](int64_t w) { return in.height * w / workers; };
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  auto run = [&](int64_t w) {
    try {
      composite_rows(plan, first_row(w) * in.width, first_row(w + 1) * in.width);
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
