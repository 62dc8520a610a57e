#include "nn/fast/thread_pool.h"

#include <algorithm>

#include "core/error.h"

namespace strata::nn::fast {

ThreadPool::ThreadPool(int threads) {
  check(threads >= 1, "thread pool: need at least one thread");
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::chunk(int index) {
  // min(n, threads) non-empty chunks, on threads 0.. so the caller's thread always has one.
  const int64_t parts = std::min<int64_t>(size(), n_);
  if (index >= parts) return;
  const int64_t b = n_ * index / parts, e = n_ * (index + 1) / parts;
  try {
    fn_(ctx_, index, b, e);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::run(int64_t n, void* ctx, Fn fn) {
  if (workers_.empty() || n <= 1) {
    if (n > 0) fn(ctx, 0, 0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    n_ = n, ctx_ = ctx, fn_ = fn, error_ = nullptr;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  start_.notify_all();
  chunk(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::work(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    chunk(index);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace strata::nn::fast
