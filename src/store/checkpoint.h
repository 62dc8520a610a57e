#pragma once
// Checkpoint files: an nn::ModelState (named float tensors + string metadata, see
// src/nn/model_state.h) as HDF5, readable from Python with h5py:
//   /tensors/<name>   float32 dataset with the tensor's shape (names contain no '/')
//   root attributes   every metadata key -> string, plus "tensor_count" (int64)
// Written under <path>.tmp-<pid>-<n> and renamed into place when complete, so a crash never
// leaves a half-written checkpoint under the final name.
#include <string>

#include "nn/model_state.h"

namespace strata::store {

void write_checkpoint(const std::string& path, const nn::ModelState& state);
// Error naming the path for a missing, truncated or foreign file, or a tensor count mismatch.
nn::ModelState read_checkpoint(const std::string& path);

}  // namespace strata::store
