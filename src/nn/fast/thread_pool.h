#pragma once
// A fixed pool of threads for the CPU backend's data-parallel loops. Why our own and not
// OpenMP or OpenBLAS's threads: the GEMMs of a convolution are small per image band
// (M = output channels, N = a few hundred pixels), where a multi-threaded BLAS call costs
// more in synchronisation than it gains; splitting the batch across threads, each with
// single-threaded GEMMs and its own scratch, scales instead. std::thread keeps src/nn free
// of a compiler runtime dependency, and parallel_for takes no std::function, so a step
// allocates nothing. (The design puts a pool in src/core; this one can move there.)
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::nn::fast {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads - 1 workers; the calling thread is thread 0
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls f(thread, begin, end) on min(n, size()) contiguous, near-equal, non-empty chunks of
  // [0, n), chunk t on thread t (so thread 0 always works when n > 0), and returns when all
  // are done. The first exception thrown is rethrown here.
  template <class F>
  void parallel_for(int64_t n, F&& f) {
    auto call = [](void* ctx, int t, int64_t b, int64_t e) { (*static_cast<F*>(ctx))(t, b, e); };
    run(n, &f, call);
  }

 private:
  using Fn = void (*)(void*, int, int64_t, int64_t);
  void run(int64_t n, void* ctx, Fn fn);
  void work(int index);
  void chunk(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  int64_t n_ = 0;
  void* ctx_ = nullptr;
  Fn fn_ = nullptr;
  std::exception_ptr error_;
};

}  // namespace strata::nn::fast
