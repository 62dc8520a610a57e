// MPI_Allreduce of floats (strata's Communicator, as train's gradient all-reduce uses it) at sizes
// from 4 B to 16 MiB: the median time of each size, and the latency and bandwidth terms of
//   T(bytes) = 2 (N - 1) alpha + 2 (N - 1) / N x bytes x beta     (ring all-reduce)
// for docs/training.md's scaling model. Run under mpirun:
//   mpirun -n 2 build/benchmarks/bench_allreduce [repetitions]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "dist/communicator.h"

int main(int argc, char** argv) {
  auto comm = strata::dist::make_world();
  const int reps = argc > 1 ? std::max(3, std::atoi(argv[1])) : 50;
  const int n = comm->size();
  if (comm->is_root()) {
    std::printf("MPI_Allreduce (sum, float, in place) on %d rank(s), %s; median of %d\n", n, comm->name().c_str(), reps);
    std::printf("%12s %14s %14s\n", "bytes", "median us", "algbw GB/s");
  }
  std::vector<double> xs, ys;  // x: bytes of the bandwidth term, 2 (N - 1) / N x bytes; y: seconds
  for (int64_t bytes = 4; bytes <= (int64_t{16} << 20); bytes *= 4) {
    std::vector<float> buf(static_cast<size_t>(bytes / 4), 1.0f);
    std::vector<double> t;
    for (int r = 0; r < reps + 2; ++r) {
      comm->barrier();
      const auto t0 = std::chrono::steady_clock::now();
      comm->allreduce_sum(buf.data(), static_cast<int64_t>(buf.size()));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r >= 2) t.push_back(s);  // the first two warm up connections and pages
    }
    // Every rank's median, the slowest reported: a step waits for the last rank.
    std::nth_element(t.begin(), t.begin() + static_cast<long>(t.size() / 2), t.end());
    double med = t[t.size() / 2];
    std::vector<double> all(static_cast<size_t>(n), 0.0);
    all[static_cast<size_t>(comm->rank())] = med;
    comm->allreduce_sum(all.data(), n);
    med = *std::max_element(all.begin(), all.end());
    xs.push_back(n > 1 ? 2.0 * (n - 1) / n * static_cast<double>(bytes) : static_cast<double>(bytes));
    ys.push_back(med);
    if (comm->is_root()) std::printf("%12lld %14.2f %14.3f\n", static_cast<long long>(bytes), med * 1e6, static_cast<double>(bytes) / med / 1e9);
  }
  // alpha from the smallest message (all latency); beta as the least-squares slope over 64 KiB
  // .. 4 MiB, the range of the models' gradients (94 KB, 1.9 MB), where the bandwidth term rules.
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double bytes = n > 1 ? xs[i] * n / (2.0 * (n - 1)) : xs[i];
    if (bytes < 65536 || bytes > 4194304) continue;
    sx += xs[i], sy += ys[i], sxx += xs[i] * xs[i], sxy += xs[i] * ys[i], m += 1;
  }
  const double alpha = ys[0] / (2.0 * (n - 1)), beta = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  if (comm->is_root() && n > 1)
    std::printf("fit: alpha = %.2f us per message, beta = %.4f ns per byte (%.2f GB/s)\n", alpha * 1e6, beta * 1e9,
                1.0 / beta / 1e9);
  return 0;
}
