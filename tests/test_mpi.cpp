// Runs under mpiexec with 2 ranks (ctest label mpi): the MPI communicator's collectives.
#include <gtest/gtest.h>

#include <numeric>

#include "dist/communicator.h"

using namespace strata;

namespace {

dist::Communicator& world() {
  static std::unique_ptr<dist::Communicator> w = dist::make_world();
  return *w;
}

TEST(Mpi, LaunchedWithTwoRanks) {
  ASSERT_TRUE(dist::launched_by_mpi()) << "run this test under mpiexec -n 2";
  EXPECT_EQ(world().size(), 2);
  EXPECT_NE(world().name().find("MPI"), std::string::npos);
}

TEST(Mpi, AllreduceSums) {
  auto& w = world();
  std::vector<double> d = {1.0 + w.rank(), 10.0};
  w.allreduce_sum(d.data(), 2);
  EXPECT_EQ(d[0], 1.0 + 2.0);
  EXPECT_EQ(d[1], 20.0);
  std::vector<int64_t> big(3'000'000, w.rank() + 1);  // more than one MPI message
  w.allreduce_sum(big.data(), static_cast<int64_t>(big.size()));
  EXPECT_EQ(big.front(), 3);
  EXPECT_EQ(big.back(), 3);
  float f = 0.5f;
  w.allreduce_sum(&f, 1);
  EXPECT_EQ(f, 1.0f);
}

TEST(Mpi, BroadcastAndAllgather) {
  auto& w = world();
  int64_t v = w.is_root() ? 42 : 0;
  w.broadcast(&v, sizeof v, 0);
  EXPECT_EQ(v, 42);
  const auto all = w.allgather(std::string(static_cast<size_t>(w.rank() + 1), static_cast<char>('a' + w.rank())));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "a");
  EXPECT_EQ(all[1], "bb");
  w.barrier();
}

TEST(Mpi, WorkCounterHandsOutEveryValueOnce) {
  auto& w = world();
  std::vector<int64_t> taken;
  {
    auto counter = w.make_counter();
    for (int64_t v = counter->next(); v < 1000; v = counter->next()) taken.push_back(v);
  }
  // Each rank took some values; together exactly 0..999, none twice.
  std::vector<int64_t> seen(1000, 0);
  for (int64_t v : taken) seen[static_cast<size_t>(v)] += 1;
  w.allreduce_sum(seen.data(), 1000);
  for (int64_t v = 0; v < 1000; ++v) EXPECT_EQ(seen[static_cast<size_t>(v)], 1) << "value " << v;
}

}  // namespace
