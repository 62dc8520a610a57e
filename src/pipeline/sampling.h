#pragma once
// Where the patches of a dataset come from. The grid is cut into square split blocks; a share of
// the blocks, chosen so that each class is split between them in about that share, is
// validation, the rest training. Candidate patches lie wholly inside one
// block (stride half a patch), so no validation pixel is ever inside a training patch. Patches are
// then drawn class-balanced: each class (by a patch's majority label) gets an equal quota,
// capped at `max_oversample` times the candidates it has, the rest shared among the others.
// Everything is a deterministic function of the candidates and the seed: the same on any number
// of ranks.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/classes.h"

namespace strata::pipeline {

enum class Split { train = 0, val = 1 };
const char* split_name(Split s);

struct SamplingOptions {
  int64_t patch = 128;
  int64_t patches = 1000;     // total over both splits
  double val_fraction = 0.1;
  uint64_t seed = 0;
  double min_labelled = 0.5;  // share of a patch's pixels that must carry a label
  double max_oversample = 2.0;
};

// Split blocks: squares of `block` pixels tiling the grid from its origin.
struct SplitLayout {
  int64_t block = 0, blocks_x = 0, blocks_y = 0;
  std::vector<Split> split;  // per block, row-major
  Split at(int64_t row, int64_t col) const;
};

// Blocks of 4 patches, shrunk to 2 (then 1) patches when the grid would have fewer than 16 blocks;
// a seeded round(val_fraction x blocks) of them are validation.
SplitLayout make_split_layout(int64_t width, int64_t height, const SamplingOptions& o);

// Candidate top-left corners: every block, stride patch/2, patches inside the block and the grid.
struct CandidatePosition {
  int64_t row = 0, col = 0;
};
std::vector<CandidatePosition> candidate_positions(const SplitLayout& layout, int64_t width, int64_t height,
                                                   int64_t patch);

struct PatchCandidate {
  int64_t row = 0, col = 0;
  std::array<int64_t, kNumClasses> class_pixels{};
  int64_t labelled() const;
  int majority() const;  // the most frequent class, the lowest index on a tie; -1 when unlabelled
};

// Moves the validation blocks (keeping their number) so that every class keeps close to
// val_fraction of its candidates' labelled pixels in validation. A purely random choice of a few
// large blocks can put most of a spatially compact class (a burn scar, a town) in validation and
// leave training without it: the network is then graded on a class it never saw. Starting from
// the seeded layout, the best swap of a validation and a training block is taken while it lowers
// sum over classes of (val share - val_fraction)^2 (at most 64 swaps): deterministic, and the
// same on any number of ranks. Returns that cost before and after.
struct StratifyResult {
  double cost_before = 0, cost_after = 0;
  int64_t swaps = 0;
};
StratifyResult stratify_split(SplitLayout& layout, const std::vector<PatchCandidate>& candidates, double val_fraction);

struct SelectedPatch {
  int64_t row = 0, col = 0;
  int majority = 0;
  Split split = Split::train;
};

struct SamplingReport {
  // [split][class]: candidates that qualified, and patches drawn.
  std::array<std::array<int64_t, kNumClasses>, 2> available{}, selected{};
  int64_t rejected_unlabelled = 0;
  StratifyResult stratify;  // set by the caller of stratify_split
};

// The patches of the dataset, train and validation interleaved in a seeded order.
std::vector<SelectedPatch> select_patches(const std::vector<PatchCandidate>& candidates, const SplitLayout& layout,
                                          const SamplingOptions& o, SamplingReport* report);

}  // namespace strata::pipeline
