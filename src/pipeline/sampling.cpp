#include "pipeline/sampling.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"

namespace strata::pipeline {
namespace {

// Fisher-Yates with mt19937_64: std::shuffle's algorithm differs between standard libraries,
// and datasets must not depend on which one built strata.
template <class T>
void seeded_shuffle(std::vector<T>& v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

constexpr uint64_t kSplitStream = 0x5851f42d4c957f2dULL;
constexpr uint64_t kClassStream = 0x14057b7ef767814fULL;
constexpr uint64_t kOrderStream = 0x2545f4914f6cdd1dULL;

}  // namespace

const char* split_name(Split s) { return s == Split::train ? "train" : "val"; }

Split SplitLayout::at(int64_t row, int64_t col) const {
  return split[static_cast<size_t>((row / block) * blocks_x + col / block)];
}

SplitLayout make_split_layout(int64_t width, int64_t height, const SamplingOptions& o) {
  if (o.patch <= 0 || width < o.patch || height < o.patch)
    throw Error("the scene grid (" + std::to_string(width) + "x" + std::to_string(height) +
                ") is smaller than one patch (" + std::to_string(o.patch) + ")");
  SplitLayout l;
  for (int64_t k : {4, 2, 1}) {
    l.block = k * o.patch;
    l.blocks_x = (width + l.block - 1) / l.block;
    l.blocks_y = (height + l.block - 1) / l.block;
    if (l.blocks_x * l.blocks_y >= 16) break;
  }
  const int64_t n = l.blocks_x * l.blocks_y;
  int64_t n_val = static_cast<int64_t>(std::llround(o.val_fraction * static_cast<double>(n)));
  if (o.val_fraction > 0 && n_val == 0 && n >= 2) n_val = 1;
  if (o.val_fraction < 1 && n_val == n && n >= 2) n_val = n - 1;
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i;
  seeded_shuffle(ids, o.seed ^ kSplitStream);
  l.split.assign(static_cast<size_t>(n), Split::train);
  for (int64_t i = 0; i < n_val; ++i) l.split[static_cast<size_t>(ids[static_cast<size_t>(i)])] = Split::val;
  return l;
}

std::vector<CandidatePosition> candidate_positions(const SplitLayout& l, int64_t width, int64_t height, int64_t patch) {
  const int64_t stride = std::max<int64_t>(1, patch / 2);
  std::vector<CandidatePosition> out;
  for (int64_t by = 0; by < l.blocks_y; ++by)
    for (int64_t bx = 0; bx < l.blocks_x; ++bx) {
      const int64_t y_end = std::min(height, (by + 1) * l.block), x_end = std::min(width, (bx + 1) * l.block);
      for (int64_t r = by * l.block; r + patch <= y_end; r += stride)
        for (int64_t c = bx * l.block; c + patch <= x_end; c += stride) out.push_back({r, c});
    }
  return out;
}

StratifyResult stratify_split(SplitLayout& l, const std::vector<PatchCandidate>& candidates, double val_fraction) {
  using Hist = std::array<double, kNumClasses>;
  constexpr size_t C = kNumClasses;
  const size_t n = l.split.size();
  std::vector<Hist> block(n, Hist{});
  Hist total{}, val{};
  for (const PatchCandidate& c : candidates) {
    const size_t b = static_cast<size_t>((c.row / l.block) * l.blocks_x + c.col / l.block);
    for (size_t k = 0; k < C; ++k) {
      const double px = static_cast<double>(c.class_pixels[k]);
      block[b][k] += px;
      total[k] += px;
      if (l.split[b] == Split::val) val[k] += px;
    }
  }
  const auto cost = [&](const Hist& v) {
    double sum = 0;
    for (size_t k = 0; k < C; ++k)
      if (total[k] > 0) sum += (v[k] / total[k] - val_fraction) * (v[k] / total[k] - val_fraction);
    return sum;
  };
  StratifyResult r;
  r.cost_before = r.cost_after = cost(val);
  // Every swap lowers the cost, so this ends. A round costs (val blocks x train blocks x classes):
  // 64 rounds keep a whole Sentinel-2 tile cut for 32-px patches (7,400 blocks) to seconds, and
  // the greedy order makes the first swaps the ones that matter.
  constexpr int64_t kMaxSwaps = 64;
  while (r.swaps < kMaxSwaps) {
    size_t best_v = n, best_t = n;
    double best = r.cost_after - 1e-12;
    Hist trial{};
    for (size_t v = 0; v < n; ++v) {
      if (l.split[v] != Split::val) continue;
      for (size_t t = 0; t < n; ++t) {
        if (l.split[t] != Split::train) continue;
        for (size_t k = 0; k < C; ++k) trial[k] = val[k] - block[v][k] + block[t][k];
        if (const double c = cost(trial); c < best) best = c, best_v = v, best_t = t;
      }
    }
    if (best_v == n) break;
    for (size_t k = 0; k < C; ++k) val[k] += block[best_t][k] - block[best_v][k];
    std::swap(l.split[best_v], l.split[best_t]);
    r.cost_after = best;
    ++r.swaps;
  }
  return r;
}

int64_t PatchCandidate::labelled() const {
  int64_t n = 0;
  for (int64_t v : class_pixels) n += v;
  return n;
}

int PatchCandidate::majority() const {
  int best = -1;
  int64_t best_n = 0;
  for (int c = 0; c < kNumClasses; ++c)
    if (class_pixels[static_cast<size_t>(c)] > best_n) best = c, best_n = class_pixels[static_cast<size_t>(c)];
  return best;
}

std::vector<SelectedPatch> select_patches(const std::vector<PatchCandidate>& candidates, const SplitLayout& layout,
                                          const SamplingOptions& o, SamplingReport* report) {
  SamplingReport rep;
  std::array<std::array<std::vector<size_t>, kNumClasses>, 2> pool;
  const int64_t min_pixels = static_cast<int64_t>(std::ceil(o.min_labelled * static_cast<double>(o.patch * o.patch)));
  for (size_t i = 0; i < candidates.size(); ++i) {
    const PatchCandidate& c = candidates[i];
    const int m = c.majority();
    if (m < 0 || c.labelled() < min_pixels) {
      ++rep.rejected_unlabelled;
      continue;
    }
    pool[static_cast<size_t>(layout.at(c.row, c.col))][static_cast<size_t>(m)].push_back(i);
  }

  std::vector<SelectedPatch> out;
  const int64_t n_val = static_cast<int64_t>(std::llround(o.val_fraction * static_cast<double>(o.patches)));
  for (Split split : {Split::train, Split::val}) {
    const size_t s = static_cast<size_t>(split);
    const int64_t wanted = split == Split::val ? n_val : o.patches - n_val;
    std::array<int64_t, kNumClasses> cap{}, quota{};
    for (int c = 0; c < kNumClasses; ++c) {
      auto& p = pool[s][static_cast<size_t>(c)];
      rep.available[s][static_cast<size_t>(c)] = static_cast<int64_t>(p.size());
      cap[static_cast<size_t>(c)] = static_cast<int64_t>(std::floor(static_cast<double>(p.size()) * std::max(1.0, o.max_oversample)));
      seeded_shuffle(p, o.seed ^ kClassStream ^ (static_cast<uint64_t>(s) << 8 | static_cast<uint64_t>(c)));
    }
    // Equal shares, poured class by class; what a capped class cannot take goes to the others.
    int64_t remaining = wanted;
    while (remaining > 0) {
      std::vector<int> open;
      for (int c = 0; c < kNumClasses; ++c)
        if (quota[static_cast<size_t>(c)] < cap[static_cast<size_t>(c)]) open.push_back(c);
      if (open.empty()) break;
      const int64_t share = std::max<int64_t>(1, remaining / static_cast<int64_t>(open.size()));
      for (int c : open) {
        const int64_t give = std::min({share, remaining, cap[static_cast<size_t>(c)] - quota[static_cast<size_t>(c)]});
        quota[static_cast<size_t>(c)] += give;
        remaining -= give;
        if (remaining == 0) break;
      }
    }
    for (int c = 0; c < kNumClasses; ++c) {
      const auto& p = pool[s][static_cast<size_t>(c)];
      for (int64_t k = 0; k < quota[static_cast<size_t>(c)]; ++k) {
        const PatchCandidate& cand = candidates[p[static_cast<size_t>(k) % p.size()]];  // cycles when oversampling
        out.push_back({cand.row, cand.col, c, split});
      }
      rep.selected[s][static_cast<size_t>(c)] = quota[static_cast<size_t>(c)];
    }
  }
  seeded_shuffle(out, o.seed ^ kOrderStream);
  if (report) *report = rep;
  return out;
}

}  // namespace strata::pipeline
