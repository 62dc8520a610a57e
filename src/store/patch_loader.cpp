#include "store/patch_loader.h"

#include <algorithm>
#include <random>

#include "core/checked.h"
#include "core/error.h"

namespace strata::store {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <class T>
void augment_impl(T* planes, int64_t count, int64_t n, int op) {
  if (op == 0) return;
  std::vector<T> tmp(static_cast<size_t>(n * n));
  for (int64_t c = 0; c < count; ++c) {
    T* p = planes + c * n * n;
    std::copy(p, p + n * n, tmp.begin());
    for (int64_t y = 0; y < n; ++y)
      for (int64_t x = 0; x < n; ++x) {
        int64_t sy = (op & 4) ? x : y, sx = (op & 4) ? y : x;
        if (op & 2) sy = n - 1 - sy;
        if (op & 1) sx = n - 1 - sx;
        p[y * n + x] = tmp[static_cast<size_t>(sy * n + sx)];
      }
  }
}

}  // namespace

void augment_square(uint16_t* planes, int64_t count, int64_t size, int op) { augment_impl(planes, count, size, op); }
void augment_square(uint8_t* planes, int64_t count, int64_t size, int op) { augment_impl(planes, count, size, op); }

PatchLoader::PatchLoader(LoaderOptions options) : o_(std::move(options)) {
  if (o_.shards.empty()) throw Error("no shards to read");
  if (o_.batch < 1 || o_.world < 1 || o_.rank < 0 || o_.rank >= o_.world) throw Error("invalid loader batch or rank");
  for (size_t s = 0; s < o_.shards.size(); ++s) {
    readers_.push_back(std::make_unique<ShardReader>(o_.shards[s]));
    const ShardHeader& h = readers_.back()->header();
    if (s == 0) {
      header_ = h;
    } else if (h.band_names != header_.band_names || h.patch_size != header_.patch_size) {
      throw Error(o_.shards[s] + ": bands or patch size differ from " + o_.shards[0]);
    }
    for (int64_t i = 0; i < readers_.back()->size(); ++i) index_.push_back({static_cast<int32_t>(s), i});
  }
  if (index_.empty()) throw Error(o_.shards[0] + " ...: the shards hold no patches");
}

PatchLoader::~PatchLoader() { stop(); }

int64_t PatchLoader::steps_per_epoch() const {
  const int64_t global = checked_mul(o_.batch, o_.world);
  return (patches() + global - 1) / global;
}

void PatchLoader::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard lock(mu_);
  queue_.clear();
  stopping_ = false;
}

void PatchLoader::start_epoch(int64_t epoch, int64_t first_step) {
  stop();
  {
    std::lock_guard lock(mu_);
    done_ = false;
    error_ = nullptr;
  }
  worker_ = std::thread([this, epoch, first_step] { produce(epoch, first_step); });
}

Batch PatchLoader::make_batch(const std::vector<int64_t>& order, int64_t epoch, int64_t step) {
  const int64_t n = patches(), global = o_.batch * o_.world;
  const int64_t first = step * global + o_.rank * o_.batch;
  Batch b;
  b.step = step;
  b.size = o_.wrap ? o_.batch : std::clamp<int64_t>(n - first, 0, o_.batch);
  const int64_t p = header_.patch_size, plane = p * p, nb = header_.bands();
  b.inputs.resize(static_cast<size_t>(checked_product({b.size, nb, plane})));
  b.labels.resize(static_cast<size_t>(checked_mul(b.size, plane)));
  for (int64_t j = 0; j < b.size; ++j) {
    const int64_t slot = first + j;
    const auto [shard, i] = index_[static_cast<size_t>(order[static_cast<size_t>(slot % n)])];
    uint16_t* in = b.inputs.data() + j * nb * plane;
    uint8_t* lab = b.labels.data() + j * plane;
    readers_[static_cast<size_t>(shard)]->read(i, in, lab);
    if (o_.augment) {
      const int op = static_cast<int>(mix(o_.seed ^ mix(static_cast<uint64_t>(epoch) << 32 ^ static_cast<uint64_t>(slot))) & 7);
      augment_square(in, nb, p, op);
      augment_square(lab, 1, p, op);
    }
    augment_radiometry(in, nb, plane, o_.radiometric,
                       mix(o_.seed ^ 0x7ad1ULL ^ mix(static_cast<uint64_t>(epoch) << 32 ^ static_cast<uint64_t>(slot))));
  }
  return b;
}

void PatchLoader::produce(int64_t epoch, int64_t first_step) {
  try {
    const int64_t n = patches();
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    if (o_.shuffle) {  // Fisher-Yates: the same order from any standard library
      std::mt19937_64 rng(mix(o_.seed) ^ mix(static_cast<uint64_t>(epoch) + 1));
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<size_t>(rng() % i)]);
    }
    for (int64_t step = first_step; step < steps_per_epoch(); ++step) {
      Batch b = make_batch(order, epoch, step);
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || static_cast<int>(queue_.size()) < o_.prefetch; });
      if (stopping_) return;
      queue_.push_back(std::move(b));
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mu_);
    error_ = std::current_exception();
  }
  std::lock_guard lock(mu_);
  done_ = true;
  cv_.notify_all();
}

bool PatchLoader::next(Batch& out) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || done_ || error_; });
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  if (error_) std::rethrow_exception(error_);
  return false;
}

}  // namespace strata::store
