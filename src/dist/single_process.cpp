#include <cstdlib>

#include "dist/communicator.h"

namespace strata::dist {
namespace {

class LocalCounter final : public WorkCounter {
 public:
  int64_t next() override { return value_++; }

 private:
  int64_t value_ = 0;
};

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "single process"; }
  void barrier() override {}
  void allreduce_sum(double*, int64_t) override {}
  void allreduce_sum(float*, int64_t) override {}
  void allreduce_sum(int64_t*, int64_t) override {}
  void broadcast(void*, int64_t, int) override {}
  std::vector<std::string> allgather(const std::string& mine) override { return {mine}; }
  std::unique_ptr<WorkCounter> make_counter() override { return std::make_unique<LocalCounter>(); }
};

}  // namespace

std::unique_ptr<Communicator> make_single_process() { return std::make_unique<SingleProcess>(); }

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

}  // namespace strata::dist
