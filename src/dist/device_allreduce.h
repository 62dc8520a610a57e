#pragma once
// Sums float buffers that live on GPUs across the ranks, with NCCL: rank 0 makes the NCCL id,
// the Communicator (MPI) broadcasts it, and every rank joins with the GPU it computes on. The
// training loop's gradient all-reduce on the CUDA backend; the host path (Communicator) stays
// for the CPU. Built only with CUDA, NCCL and MPI (STRATA_HAVE_NCCL); elsewhere
// make_nccl_allreduce throws, saying so.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace strata::dist {

struct DeviceFloats {
  float* data;  // device pointer
  int64_t count;
};

class DeviceAllreduce {
 public:
  virtual ~DeviceAllreduce() = default;
  virtual std::string name() const = 0;  // "NCCL 2.27.3 on cuda:0"
  // In place on every rank: each buffer becomes sum over ranks of (scale x the rank's buffer).
  // Every rank passes the same list of sizes. Returns when the result is in device memory.
  virtual void scaled_sum(const std::vector<DeviceFloats>& buffers, float scale) = 0;
};

// True where this strata was built with NCCL.
bool have_nccl();

// `device` is the CUDA device this rank computes on (see local_rank()). Collective: every rank
// of `comm` calls it.
std::unique_ptr<DeviceAllreduce> make_nccl_allreduce(Communicator& comm, int device);

// This process's index among the ranks on its node, from the launcher's environment
// (OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID, MPI_LOCALRANKID, PMI_LOCAL_RANK); 0 when none is set.
// Ranks on one node each take GPU local_rank() % GPUs.
int local_rank();

}  // namespace strata::dist
