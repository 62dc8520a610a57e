#pragma once
// Batches of patches from a split's shards, for training and validation under any number of ranks.
//
// Every epoch has one global order of all patches, a seeded permutation of (seed, epoch): global
// batch k is entries [k*G, (k+1)*G) with G = batch x ranks, and rank r takes the r-th slice of
// batch size. So 1 rank with batch G and N ranks with batch G/N see the same global batches, and
// an epoch visits every patch once. For training the last global batch wraps around to the start
// of the order, so every rank runs the same number of steps (the all-reduce needs that) whatever
// the shard sizes. Augmentation (flips, 90-degree rotations; radiometric when asked) is a function
// of (seed, epoch, slot):
// reproducible, and identical after a resume. A background thread reads ahead so compute never
// waits on HDF5.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/radiometric_augment.h"
#include "store/shard.h"

namespace strata::store {

struct LoaderOptions {
  std::vector<std::string> shards;
  int64_t batch = 16;  // per rank
  int rank = 0, world = 1;
  uint64_t seed = 0;
  bool shuffle = true;
  bool augment = true;  // flips and rotations
  RadiometricAugment radiometric;  // gains, haze, noise (see radiometric_augment.h); off by default
  bool wrap = true;     // pad the last global batch from the start (training); false: a short last batch
  int prefetch = 2;     // batches read ahead
};

struct Batch {
  int64_t step = 0;
  int64_t size = 0;               // patches in this rank's slice (may be 0 on a short last batch)
  std::vector<uint16_t> inputs;   // [size, bands, P, P]
  std::vector<uint8_t> labels;    // [size, P, P]
};

class PatchLoader {
 public:
  explicit PatchLoader(LoaderOptions options);  // opens and checks every shard
  ~PatchLoader();
  PatchLoader(const PatchLoader&) = delete;
  PatchLoader& operator=(const PatchLoader&) = delete;

  int64_t patches() const { return static_cast<int64_t>(index_.size()); }
  int64_t steps_per_epoch() const;
  int64_t bands() const { return header_.bands(); }
  int64_t patch_size() const { return header_.patch_size; }
  const ShardHeader& header() const { return header_; }

  // Starts reading epoch `epoch` from `first_step` (a resumed run starts mid-epoch).
  void start_epoch(int64_t epoch, int64_t first_step = 0);
  // The next batch of the epoch; false when the epoch is done. Rethrows a reader error.
  bool next(Batch& out);

 private:
  void produce(int64_t epoch, int64_t first_step);
  void stop();
  Batch make_batch(const std::vector<int64_t>& order, int64_t epoch, int64_t step);

  LoaderOptions o_;
  ShardHeader header_;
  std::vector<std::unique_ptr<ShardReader>> readers_;
  std::vector<std::pair<int32_t, int64_t>> index_;  // (shard, patch in shard)

  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  bool done_ = true, stopping_ = false;
  std::exception_ptr error_;
};

// In-place 90-degree rotations and flips of a square patch: op in 0..7 (bit 2: transpose,
// bit 1: flip rows, bit 0: flip columns); all 8 symmetries of the square.
void augment_square(uint16_t* planes, int64_t count, int64_t size, int op);
void augment_square(uint8_t* planes, int64_t count, int64_t size, int op);

}  // namespace strata::store
