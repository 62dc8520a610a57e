// Under mpiexec -n 2 (ctest label mpi): two ranks sharing the tiles through the work counter
// write the same maps, byte for byte, as one process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "predict_fixture.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(PredictMpi, TwoRanksWriteWhatOneProcessWrites) {
  auto world = dist::make_world();
  ASSERT_EQ(world->size(), 2) << "run under mpiexec -n 2";
  static test::TempDir dir;  // rank 0's; its path goes to rank 1
  char buf[4096] = {};
  if (world->is_root()) {
    const std::string ckpt = test::write_test_checkpoint(dir / "unet.h5", test::tiny_unet(), 5);
    std::snprintf(buf, sizeof buf, "%s|%s", ckpt.c_str(), test::synth_dir().c_str());
  }
  world->broadcast(buf, sizeof buf, 0);
  const std::string shared = buf, ckpt = shared.substr(0, shared.find('|')), root = fs::path(ckpt).parent_path();

  pipeline::PredictOptions o = test::small_predict(ckpt, root + "/two-ranks");
  o.scenes = {shared.substr(shared.find('|') + 1) + "/S2_*.tif"};
  o.tile = 64;
  const auto two = pipeline::run_predict(o, *world);
  EXPECT_EQ(two.tiles, 4 * 36);
  EXPECT_EQ(two.computed, two.tiles);  // summed over the ranks: every tile once

  if (world->is_root()) {
    auto single = dist::make_single_process();
    o.out_dir = root + "/one-rank";
    const auto one = pipeline::run_predict(o, *single);
    ASSERT_EQ(one.products.size(), two.products.size());
    int64_t compared = 0;
    for (const auto& e : fs::recursive_directory_iterator(root + "/one-rank")) {
      if (e.path().extension() != ".tif") continue;
      const fs::path other = fs::path(root + "/two-ranks") / fs::relative(e.path(), root + "/one-rank");
      ASSERT_TRUE(fs::exists(other)) << other;
      EXPECT_EQ(bytes_of(e.path()), bytes_of(other)) << other;
      ++compared;
    }
    EXPECT_EQ(compared, two.tiles);
  }
  world->barrier();
}

}  // namespace
