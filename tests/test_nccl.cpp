// The NCCL gradient all-reduce (label gpu): every rank's device buffers, scaled and summed.
// One process here; under `mpiexec -n N` on a node with N GPUs it runs across them.
#include <gtest/gtest.h>

#include <vector>

#include "dist/communicator.h"
#include "dist/device_allreduce.h"
#include "gpu_required.h"
#include "nn/backend_registry.h"

using namespace strata;

namespace {

int cuda_devices() {
  int n = 0;
  for (const auto& d : nn::available_devices()) n += d.device == nn::Device::cuda;
  return n;
}

TEST(Nccl, ScaledSumOfDeviceBuffers) {
  if (!dist::have_nccl()) GTEST_SKIP() << "built without NCCL (needs CUDA, NCCL and MPI at configure time)";
  const int gpus = cuda_devices();
  if (gpus == 0) STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  auto world = dist::make_world();
  const int gpu = dist::local_rank() % gpus;
  auto be = nn::make_backend(nn::Device::cuda, gpu);
  auto nccl = dist::make_nccl_allreduce(*world, gpu);
  EXPECT_NE(nccl->name().find("NCCL"), std::string::npos) << nccl->name();

  // Two tensors of odd sizes, as a model's weight and bias gradients are.
  const std::vector<int64_t> sizes = {1000003, 7};
  std::vector<std::unique_ptr<nn::DeviceBuffer>> bufs;
  std::vector<dist::DeviceFloats> views;
  for (int64_t n : sizes) {
    std::vector<float> host(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) host[static_cast<size_t>(i)] = static_cast<float>(i % 1000 + world->rank());
    bufs.push_back(std::make_unique<nn::DeviceBuffer>(*be, host.size() * sizeof(float)));
    be->upload(bufs.back()->as<void>(), host.data(), host.size() * sizeof(float));
    views.push_back({bufs.back()->as<float>(), n});
  }
  nccl->scaled_sum(views, 0.5f);

  const int R = world->size();
  for (size_t k = 0; k < sizes.size(); ++k) {
    std::vector<float> got(static_cast<size_t>(sizes[k]));
    be->download(got.data(), bufs[k]->as<void>(), got.size() * sizeof(float));
    for (int64_t i = 0; i < sizes[k]; i += 997) {
      // sum over r of 0.5 (v + r) = 0.5 (R v + R (R - 1) / 2): exact in fp32 for these values.
      const float v = static_cast<float>(i % 1000);
      ASSERT_FLOAT_EQ(got[static_cast<size_t>(i)], 0.5f * (static_cast<float>(R) * v + static_cast<float>(R * (R - 1) / 2)))
          << "tensor " << k << " element " << i;
    }
  }
}

TEST(Nccl, LocalRankFromTheLauncher) {
  // The variable Open MPI's mpirun sets wins over Slurm's (an sbatch script's step is not mpirun's).
  setenv("SLURM_LOCALID", "3", 1);
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  EXPECT_EQ(dist::local_rank(), 3);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);
  EXPECT_EQ(dist::local_rank(), 1);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x", 1);
  EXPECT_EQ(dist::local_rank(), 3) << "a malformed value is skipped";
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  unsetenv("SLURM_LOCALID");
}

}  // namespace
