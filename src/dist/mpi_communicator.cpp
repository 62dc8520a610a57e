// The MPI communicator. Every MPI call is checked: errors return (MPI_ERRORS_RETURN) and become
// strata::Error with the statement, file:line and MPI's own message.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "dist/dist_info.h"

#define STRATA_MPI_CHECK(stmt)                                                                    \
  do {                                                                                            \
    const int strata_mpi_rc_ = (stmt);                                                            \
    if (strata_mpi_rc_ != MPI_SUCCESS) ::strata::dist::throw_mpi_error(strata_mpi_rc_, #stmt);    \
  } while (0)

namespace strata::dist {
namespace {

[[noreturn]] void throw_mpi_error(int rc, const char* statement,
                                  const std::source_location& loc = std::source_location::current()) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) len = 0;
  throw Error(std::string("MPI call failed: ") + statement + " at " + where(loc) + ": " + std::string(msg, static_cast<size_t>(len)));
}

// MPI counts are int; long buffers go in pieces.
constexpr int64_t kMaxCount = INT_MAX / 2;

void finalize_at_exit() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Finalize();
}

// One int64 in an MPI window on rank 0, advanced with MPI_Fetch_and_op under a shared lock:
// passive-target atomics, so rank 0 serves the counter while it computes (shared memory on one
// node, network atomics across nodes with UCX).
class MpiCounter final : public WorkCounter {
 public:
  MpiCounter(int rank) {
    const MPI_Aint bytes = rank == 0 ? sizeof(int64_t) : 0;
    STRATA_MPI_CHECK(MPI_Win_allocate(bytes, sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &base_, &win_));
    STRATA_MPI_CHECK(MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN));
    if (rank == 0) {
      STRATA_MPI_CHECK(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win_));
      *base_ = 0;
      STRATA_MPI_CHECK(MPI_Win_unlock(0, win_));
    }
    STRATA_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  }
  ~MpiCounter() override { MPI_Win_free(&win_); }

  int64_t next() override {
    const int64_t one = 1;
    int64_t value = 0;
    STRATA_MPI_CHECK(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win_));
    STRATA_MPI_CHECK(MPI_Fetch_and_op(&one, &value, MPI_INT64_T, 0, 0, MPI_SUM, win_));
    STRATA_MPI_CHECK(MPI_Win_unlock(0, win_));
    return value;
  }

 private:
  int64_t* base_ = nullptr;
  MPI_Win win_ = MPI_WIN_NULL;
};

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    static std::once_flag once;
    std::call_once(once, [] {
      int initialized = 0;
      STRATA_MPI_CHECK(MPI_Initialized(&initialized));
      if (!initialized) {
        int provided = 0;
        // Funneled: only the main thread calls MPI; prefetch threads never do.
        STRATA_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
        std::atexit(finalize_at_exit);
      }
      STRATA_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    });
    STRATA_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
    STRATA_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
    log::set_rank(rank_, size_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "MPI (" + mpi_version_string() + ")"; }

  void barrier() override { STRATA_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD)); }

  void allreduce_sum(double* data, int64_t n) override { reduce(data, n, MPI_DOUBLE); }
  void allreduce_sum(float* data, int64_t n) override { reduce(data, n, MPI_FLOAT); }
  void allreduce_sum(int64_t* data, int64_t n) override { reduce(data, n, MPI_INT64_T); }

  void broadcast(void* data, int64_t bytes, int root) override {
    auto* p = static_cast<char*>(data);
    for (int64_t off = 0; off < bytes; off += kMaxCount)
      STRATA_MPI_CHECK(MPI_Bcast(p + off, static_cast<int>(std::min(kMaxCount, bytes - off)), MPI_BYTE, root, MPI_COMM_WORLD));
  }

  std::vector<std::string> allgather(const std::string& mine) override {
    if (mine.size() > static_cast<size_t>(kMaxCount)) throw Error("allgather: message larger than 1 GiB");
    const int len = static_cast<int>(mine.size());
    std::vector<int> lens(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    STRATA_MPI_CHECK(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, MPI_COMM_WORLD));
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[static_cast<size_t>(r)] = static_cast<int>(total);
      total += lens[static_cast<size_t>(r)];
    }
    if (total > kMaxCount) throw Error("allgather: gathered messages exceed 1 GiB");
    std::string all(static_cast<size_t>(total), '\0');
    STRATA_MPI_CHECK(MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR,
                                    MPI_COMM_WORLD));
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r)
      out.push_back(all.substr(static_cast<size_t>(offsets[static_cast<size_t>(r)]), static_cast<size_t>(lens[static_cast<size_t>(r)])));
    return out;
  }

  std::unique_ptr<WorkCounter> make_counter() override { return std::make_unique<MpiCounter>(rank_); }

 private:
  template <class T>
  void reduce(T* data, int64_t n, MPI_Datatype type) {
    for (int64_t off = 0; off < n; off += kMaxCount)
      STRATA_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + off, static_cast<int>(std::min(kMaxCount, n - off)), type, MPI_SUM,
                                     MPI_COMM_WORLD));
  }

  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_world() {
  if (!launched_by_mpi()) return make_single_process();
  return std::make_unique<MpiCommunicator>();
}

void abort_job(int exit_code) {
  int initialized = 0, finalized = 0, size = 1;
  if (MPI_Initialized(&initialized) != MPI_SUCCESS || !initialized) return;
  if (MPI_Finalized(&finalized) != MPI_SUCCESS || finalized) return;
  if (MPI_Comm_size(MPI_COMM_WORLD, &size) == MPI_SUCCESS && size > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
}

}  // namespace strata::dist
