// The CUDA backend's memory when the device is full, on the CUDA emulator (which can make
// cudaMalloc fail on request): the arena gives its cache back and retries once, a failure that
// stays a failure is an Error and not left behind as the thread's last CUDA error, and the
// backend's scratch stays usable after an allocation threw.
#include <cuda_runtime.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/cuda_backend.h"
#include "kernels/device_arena.h"
#include "nn/backend.h"
#include "op_test_util.h"

namespace strata::cuda {
namespace {

TEST(DeviceArena, OutOfMemoryGivesTheCacheBackAndRetries) {
  DeviceArena arena;
  void* small = arena.allocate(1000);
  arena.release(small);  // cached, too small for the next request
  ASSERT_EQ(arena.allocation_count(), 1);
  emu::fail_next_cuda_mallocs(1);
  void* big = arena.allocate(1 << 20);
  EXPECT_NE(big, nullptr);
  EXPECT_EQ(arena.allocation_count(), 2);
  EXPECT_EQ(arena.bytes_held(), size_t{1} << 20) << "the cached block was freed";
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the failed first try is not left as the last error";
  arena.release(big);
}

TEST(DeviceArena, AnAllocationThatStillFailsIsAnErrorAndNotTheNextLaunchsError) {
  DeviceArena arena;
  emu::fail_next_cuda_mallocs(1);
  try {
    arena.allocate(4096);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cudaErrorMemoryAllocation"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_NE(arena.allocate(4096), nullptr) << "the next allocation works";
}

// A conv2d backward with a bias gradient only (its channel sums live in the backend's scratch);
// with fail, the cudaMallocs after the arrays are made fail: the scratch's growth throws.
void bias_grad(nn::Backend& be, const nn::Conv2dShape& s, bool fail = false) {
  const std::vector<float> x = test::random_floats(s.input_size(), 1), w = test::random_floats(s.weight_size(), 2),
                           g = test::random_floats(s.output_size(), 3);
  std::vector<float> gx(x.size()), gw(w.size()), gb(static_cast<size_t>(s.c_out));
  nn::conv2d_backward_reference(s, x.data(), w.data(), g.data(), gx.data(), gw.data(), gb.data());
  test::DeviceArray<float> dx(be, x), dw(be, w), dg(be, g), db(be, gb.size());
  if (fail) emu::fail_next_cuda_mallocs(2);  // the first try and the retry after freeing the cache
  be.conv2d_backward(s, dx.get(), dw.get(), dg.get(), nullptr, nullptr, db.get());
  EXPECT_TRUE(test::all_close(db.host(), gb, 2e-5));
}

TEST(DeviceArena, TheScratchStaysConsistentWhenItsGrowthThrows) {
  auto be = make_cuda_backend(0);
  bias_grad(*be, nn::Conv2dShape{1, 2, 8, 8, 4, 3, 1});
  EXPECT_THROW(bias_grad(*be, nn::Conv2dShape{1, 2, 8, 8, 600, 3, 1}, true), Error);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  bias_grad(*be, nn::Conv2dShape{1, 2, 8, 8, 4, 3, 1});  // a null scratch here would fault
}

}  // namespace
}  // namespace strata::cuda
