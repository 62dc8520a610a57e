#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "pipeline/sampling.h"

using namespace strata;
using namespace strata::pipeline;

namespace {

TEST(Sampling, LayoutShrinksBlocksForSmallGrids) {
  SamplingOptions o;
  o.patch = 128;
  const SplitLayout big = make_split_layout(10980, 10980, o);
  EXPECT_EQ(big.block, 512);
  const SplitLayout small = make_split_layout(1024, 1024, o);
  EXPECT_EQ(small.block, 256);
  EXPECT_EQ(small.blocks_x * small.blocks_y, 16);
  EXPECT_EQ(std::count(small.split.begin(), small.split.end(), Split::val), 2);  // round(0.1 * 16)
  EXPECT_THROW(make_split_layout(100, 1000, o), Error);
}

TEST(Sampling, CandidatesStayInsideTheirBlock) {
  SamplingOptions o;
  o.patch = 64;
  const SplitLayout l = make_split_layout(1000, 700, o);
  const auto pos = candidate_positions(l, 1000, 700, 64);
  ASSERT_FALSE(pos.empty());
  for (const auto& p : pos) {
    EXPECT_LE(p.row + 64, 700);
    EXPECT_LE(p.col + 64, 1000);
    EXPECT_EQ(p.row / l.block, (p.row + 63) / l.block);
    EXPECT_EQ(p.col / l.block, (p.col + 63) / l.block);
  }
}

std::vector<PatchCandidate> make_candidates(const SplitLayout& l, int64_t w, int64_t h, int64_t patch) {
  // Class by position: a quarter of the grid is water, a sliver is built, the rest crops.
  std::vector<PatchCandidate> out;
  for (const auto& p : candidate_positions(l, w, h, patch)) {
    PatchCandidate c;
    c.row = p.row;
    c.col = p.col;
    const int cls = p.col < w / 4 ? 0 : (p.row < patch && p.col > w / 2 ? 6 : 4);
    c.class_pixels[static_cast<size_t>(cls)] = patch * patch * 3 / 4;
    out.push_back(c);
  }
  return out;
}

TEST(Sampling, BalancedWithCappedOversamplingAndDisjointSplits) {
  SamplingOptions o;
  o.patch = 32;
  o.patches = 600;
  o.seed = 7;
  const int64_t w = 1024, h = 1024;
  const SplitLayout l = make_split_layout(w, h, o);
  const auto cands = make_candidates(l, w, h, o.patch);
  SamplingReport rep;
  const auto sel = select_patches(cands, l, o, &rep);

  int64_t n_train = 0, n_val = 0;
  for (const auto& s : sel) (s.split == Split::train ? n_train : n_val)++;
  EXPECT_EQ(n_val, 60);
  EXPECT_EQ(n_train, 540);
  const auto& tr_sel = rep.selected[0];
  const auto& tr_av = rep.available[0];
  // Built is rare: capped at twice its candidates; water and crops share the rest equally.
  EXPECT_EQ(tr_sel[6], std::min<int64_t>(2 * tr_av[6], 180));
  EXPECT_EQ(tr_sel[0], tr_sel[4]);
  EXPECT_EQ(tr_sel[0] + tr_sel[4] + tr_sel[6], 540);

  // No validation pixel lies inside a training patch.
  for (const auto& v : sel) {
    if (v.split != Split::val) continue;
    for (const auto& t : sel) {
      if (t.split != Split::train) continue;
      const bool overlap = v.row < t.row + o.patch && t.row < v.row + o.patch && v.col < t.col + o.patch && t.col < v.col + o.patch;
      ASSERT_FALSE(overlap) << "val (" << v.row << "," << v.col << ") overlaps train (" << t.row << "," << t.col << ")";
    }
  }
}

TEST(Sampling, DeterministicBySeed) {
  SamplingOptions o;
  o.patch = 32;
  o.patches = 200;
  o.seed = 1;
  const SplitLayout l = make_split_layout(512, 512, o);
  const auto cands = make_candidates(l, 512, 512, 32);
  const auto a = select_patches(cands, l, o, nullptr);
  const auto b = select_patches(cands, l, o, nullptr);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].row == b[i].row && a[i].col == b[i].col);
  o.seed = 2;
  const auto c = select_patches(cands, make_split_layout(512, 512, o), o, nullptr);
  bool differs = false;
  for (size_t i = 0; i < std::min(a.size(), c.size()); ++i) differs |= a[i].row != c[i].row || a[i].col != c[i].col;
  EXPECT_TRUE(differs);
}

TEST(Sampling, UnlabelledPatchesAreRejected) {
  SamplingOptions o;
  o.patch = 32;
  o.patches = 10;
  const SplitLayout l = make_split_layout(512, 512, o);
  std::vector<PatchCandidate> cands(3);
  cands[0].class_pixels[1] = 32 * 32;      // trees, fully labelled
  cands[1].class_pixels[2] = 32 * 32 / 4;  // a quarter labelled: below min_labelled
  // cands[2] has no labels at all
  SamplingReport rep;
  const auto sel = select_patches(cands, l, o, &rep);
  EXPECT_EQ(rep.rejected_unlabelled, 2);
  for (const auto& s : sel) EXPECT_EQ(s.majority, 1);
  EXPECT_LE(sel.size(), 2u);  // one candidate, oversampled at most twice
}

// The demo's failure: a class that lives in one place (a burn scar) fell wholly in a validation
// block, so training never saw it. Stratifying moves that block to training.
TEST(Sampling, StratifiedSplitKeepsACompactClassInTraining) {
  SamplingOptions o;
  o.patch = 64;
  SplitLayout l = make_split_layout(1024, 1024, o);
  size_t scar = l.split.size();
  for (size_t b = 0; b < l.split.size() && scar == l.split.size(); ++b)
    if (l.split[b] == Split::val) scar = b;
  ASSERT_LT(scar, l.split.size());
  const int64_t scar_row = static_cast<int64_t>(scar) / l.blocks_x * l.block, scar_col = static_cast<int64_t>(scar) % l.blocks_x * l.block;
  std::vector<PatchCandidate> cands;
  for (const auto& p : candidate_positions(l, 1024, 1024, o.patch)) {
    PatchCandidate c;
    c.row = p.row;
    c.col = p.col;
    const bool in_scar = p.row >= scar_row && p.row < scar_row + l.block && p.col >= scar_col && p.col < scar_col + l.block;
    c.class_pixels[in_scar ? 7 : (p.col < 512 ? 1 : 4)] = 64 * 64;  // bare there, trees west, crops east
    cands.push_back(c);
  }
  const auto val_blocks = [&] { return std::count(l.split.begin(), l.split.end(), Split::val); };
  const auto before = val_blocks();
  const StratifyResult r = stratify_split(l, cands, o.val_fraction);
  EXPECT_EQ(val_blocks(), before) << "the number of validation blocks is kept";
  EXPECT_EQ(l.split[scar], Split::train);
  EXPECT_LT(r.cost_after, r.cost_before);
  EXPECT_GE(r.swaps, 1);
  // Both common classes keep some validation pixels.
  std::array<int64_t, kNumClasses> val{};
  for (const auto& c : cands)
    if (l.at(c.row, c.col) == Split::val)
      for (int k = 0; k < kNumClasses; ++k) val[static_cast<size_t>(k)] += c.class_pixels[static_cast<size_t>(k)];
  EXPECT_GT(val[1], 0);
  EXPECT_GT(val[4], 0);
  // Already stratified: nothing moves.
  const SplitLayout settled = l;
  EXPECT_EQ(stratify_split(l, cands, o.val_fraction).swaps, 0);
  EXPECT_EQ(l.split, settled.split);
}

}  // namespace
