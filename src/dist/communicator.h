#pragma once
// One communicator interface with a single-process and an MPI implementation (NCCL joins for
// gradients on GPUs). Pipelines take a Communicator& and never ask how they were launched.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::dist {

// A job-wide counter: next() returns 0, 1, 2, ... across all ranks, each value once. Ranks that
// take work items by it share the work dynamically, with no rank waiting on a dispatcher.
class WorkCounter {
 public:
  virtual ~WorkCounter() = default;
  virtual int64_t next() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string name() const = 0;  // "single process", "MPI (Open MPI v4.1.4)"

  virtual void barrier() = 0;
  virtual void allreduce_sum(double* data, int64_t n) = 0;
  virtual void allreduce_sum(float* data, int64_t n) = 0;
  virtual void allreduce_sum(int64_t* data, int64_t n) = 0;
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  // Every rank's string, in rank order, on every rank.
  virtual std::vector<std::string> allgather(const std::string& mine) = 0;
  // Collective: every rank creates it, and destroys it, at the same point.
  virtual std::unique_ptr<WorkCounter> make_counter() = 0;

  bool is_root() const { return rank() == 0; }
};

std::unique_ptr<Communicator> make_single_process();

// MPI when this process was started by mpirun/mpiexec/srun and strata was built with MPI,
// else a single process. Initialises MPI on first use and finalises it at exit.
std::unique_ptr<Communicator> make_world();

// True when the environment says an MPI launcher started us (OMPI_*, PMIX_*, PMI_*).
bool launched_by_mpi();

// After an error on one rank: ends every rank of the job (MPI_Abort) so none waits forever in
// a collective. Does nothing in a single process.
void abort_job(int exit_code);

}  // namespace strata::dist
