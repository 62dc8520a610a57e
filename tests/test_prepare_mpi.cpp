// Under mpiexec -n 2 (ctest label mpi): a 2-rank prepare gives the same dataset as 1 rank.
#include <gtest/gtest.h>

#include <filesystem>

#include "dist/communicator.h"
#include "prepare_fixture.h"
#include "store/shard.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

TEST(PrepareMpi, TwoRanksEqualOneRank) {
  auto world = dist::make_world();
  ASSERT_EQ(world->size(), 2) << "run under mpiexec -n 2";
  // One directory for both ranks: rank 0's, broadcast.
  std::string root = world->is_root() ? test::synth_dir() + "/.." : "";
  char buf[4096] = {};
  std::snprintf(buf, sizeof buf, "%s", root.c_str());
  world->broadcast(buf, sizeof buf, 0);
  root = buf;
  // Rank 1 made its own synthetic scenes (same seed, same bytes) but reads rank 0's.
  pipeline::PrepareOptions o = test::small_prepare(root + "/ds-2ranks");
  o.scenes = {root + "/synth/S2_*.tif"};
  o.labels = root + "/synth/worldcover_" + test::synth_date(1) + ".tif";
  o.write_masks = true;
  const auto two = pipeline::run_prepare(o, *world);

  int64_t mismatches = 0;
  if (world->is_root()) {
    auto single = dist::make_single_process();
    pipeline::PrepareOptions one_opts = o;
    one_opts.out_dir = root + "/ds-1rank";
    const auto one = pipeline::run_prepare(one_opts, *single);
    EXPECT_EQ(one.norm_mean, two.norm_mean);
    EXPECT_EQ(one.norm_std, two.norm_std);
    ASSERT_EQ(one.shards.size(), two.shards.size());
    for (const auto& sh : one.shards) {
      const store::ShardReader a(one_opts.out_dir + "/" + sh.file), b(o.out_dir + "/" + sh.file);
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(a.header().split, b.header().split);
      const int64_t n = a.header().bands() * 32 * 32;
      std::vector<uint16_t> ia(static_cast<size_t>(n)), ib(ia.size());
      std::vector<uint8_t> la(32 * 32), lb(la.size());
      for (int64_t i = 0; i < a.size(); ++i) {
        a.read(i, ia.data(), la.data());
        b.read(i, ib.data(), lb.data());
        mismatches += ia != ib || la != lb || a.origin(i) != b.origin(i);
      }
    }
    EXPECT_EQ(mismatches, 0);
    for (const auto& e : fs::directory_iterator(one_opts.out_dir + "/masks")) {
      const std::string other = o.out_dir + "/masks/" + e.path().filename().string();
      EXPECT_EQ(fs::file_size(e.path()), fs::file_size(other)) << other;
    }
  }
  world->barrier();
}

}  // namespace
