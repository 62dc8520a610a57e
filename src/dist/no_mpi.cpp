// Built without MPI: a launcher's environment cannot be honoured, so say so rather than run
// N copies that each think they are alone.
#include "core/error.h"
#include "dist/communicator.h"

namespace strata::dist {

std::unique_ptr<Communicator> make_world() {
  if (launched_by_mpi())
    throw Error("started by an MPI launcher, but this strata was built without MPI (-DSTRATA_WITH_MPI=ON)");
  return make_single_process();
}

void abort_job(int) {}

}  // namespace strata::dist
