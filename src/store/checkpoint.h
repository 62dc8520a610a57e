#pragma once
// Checkpoint files: an nn::ModelState (named tensors + string metadata) in HDF5, so that
// `strata predict --model ckpt.h5` needs nothing else and h5py can read it:
//   /tensors/<name>   float32, the tensor's shape     (weights, batch-norm statistics, Adam moments,
//                                                      normalisation constants)
//   /metadata         a group whose string attributes are the state's metadata
//   root attribute    format = "strata-checkpoint/1"
// Written under a temporary name and renamed when whole.
#include <string>

#include "nn/model_state.h"

namespace strata::store {

inline constexpr const char* kCheckpointFormat = "strata-checkpoint/1";

void write_checkpoint(const std::string& path, const nn::ModelState& state);
// Error naming the file when it is missing, truncated, not HDF5 or not a strata checkpoint.
nn::ModelState read_checkpoint(const std::string& path);

}  // namespace strata::store
