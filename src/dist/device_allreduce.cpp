#include "dist/device_allreduce.h"

#include <cstdlib>

#include "core/error.h"

#ifdef STRATA_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include "dist/dist_info.h"
#include "kernels/cuda_check.h"

// Every NCCL call is checked: a failure throws strata::Error with the statement, file:line,
// NCCL's message and, where there is one, its last detailed error.
#define STRATA_NCCL_CHECK(stmt)                                                                 \
  do {                                                                                          \
    const ncclResult_t strata_nccl_rc_ = (stmt);                                                \
    if (strata_nccl_rc_ != ncclSuccess)                                                         \
      ::strata::dist::throw_nccl_error(strata_nccl_rc_, #stmt, __FILE__, __LINE__);             \
  } while (0)
#endif

namespace strata::dist {

int local_rank() {
  // Open MPI's mpirun first: inside an sbatch script SLURM_LOCALID describes the batch step, not mpirun's ranks.
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"}) {
    const char* s = std::getenv(v);
    if (!s || !*s) continue;
    char* end = nullptr;
    const long r = std::strtol(s, &end, 10);
    if (*end == '\0' && r >= 0 && r < (1 << 20)) return static_cast<int>(r);
  }
  return 0;
}

#ifdef STRATA_HAVE_NCCL

[[noreturn]] void throw_nccl_error(ncclResult_t rc, const char* statement, const char* file, int line) {
  std::string msg = std::string("NCCL call failed: ") + statement + " at " + file + ":" + std::to_string(line) + ": " +
                    ncclGetErrorString(rc);
  if (const char* last = ncclGetLastError(nullptr); last && *last) {
    msg += " (";
    msg += last;
    msg += ")";
  }
  throw Error(msg);
}

namespace {

class NcclAllreduce final : public DeviceAllreduce {
 public:
  NcclAllreduce(Communicator& comm, int device) : device_(device) {
    STRATA_CUDA_CHECK(cudaSetDevice(device_));
    ncclUniqueId id{};
    if (comm.is_root()) STRATA_NCCL_CHECK(ncclGetUniqueId(&id));
    comm.broadcast(&id, sizeof id, 0);
    STRATA_NCCL_CHECK(ncclCommInitRank(&comm_, comm.size(), id, comm.rank()));
    STRATA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  ~NcclAllreduce() override {
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) ncclCommDestroy(comm_);
  }
  NcclAllreduce(const NcclAllreduce&) = delete;
  NcclAllreduce& operator=(const NcclAllreduce&) = delete;

  std::string name() const override { return "NCCL " + nccl_version_string() + " on cuda:" + std::to_string(device_); }

  void scaled_sum(const std::vector<DeviceFloats>& buffers, float scale) override {
    STRATA_CUDA_CHECK(cudaSetDevice(device_));
    // PreMulSum scales on the way in, so there is no separate scaling kernel or extra pass.
    ncclRedOp_t op{};
    STRATA_NCCL_CHECK(ncclRedOpCreatePreMulSum(&op, &scale, ncclFloat32, ncclScalarHostImmediate, comm_));
    // One group: NCCL fuses the per-tensor calls into as few launches as it can.
    STRATA_NCCL_CHECK(ncclGroupStart());
    for (const DeviceFloats& b : buffers)
      STRATA_NCCL_CHECK(ncclAllReduce(b.data, b.data, static_cast<size_t>(b.count), ncclFloat32, op, comm_, stream_));
    STRATA_NCCL_CHECK(ncclGroupEnd());
    STRATA_NCCL_CHECK(ncclRedOpDestroy(op, comm_));  // allowed once the calls using it have returned
    STRATA_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  int device_;
  ncclComm_t comm_{};
  cudaStream_t stream_{};
};

}  // namespace

bool have_nccl() { return true; }

std::unique_ptr<DeviceAllreduce> make_nccl_allreduce(Communicator& comm, int device) {
  return std::make_unique<NcclAllreduce>(comm, device);
}

#else

bool have_nccl() { return false; }

std::unique_ptr<DeviceAllreduce> make_nccl_allreduce(Communicator&, int) {
  throw Error("NCCL all-reduce: this strata was built without NCCL (it needs CUDA, NCCL and MPI at configure time)");
}

#endif

}  // namespace strata::dist
