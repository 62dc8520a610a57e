#include "import/keras_saved_model.h"

#include <filesystem>

#include "core/error.h"
#include "import/binary_file.h"
#include "import/saved_model.h"
#include "import/sha256.h"
#include "import/tensor_bundle.h"

namespace strata::import {
namespace {

// Protobuf messages are limited to 2 GiB; a saved_model.pb beyond that is not one.
constexpr int64_t kMaxSavedModelBytes = int64_t{2} << 30;

}  // namespace

KerasSavedModel read_keras_saved_model(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": no such SavedModel folder");
  KerasSavedModel m;
  m.dir = fs::absolute(dir, ec).lexically_normal().string();
  if (ec) throw Error(dir + ": cannot resolve the path: " + ec.message());
  if (m.dir.size() > 1 && m.dir.back() == '/') m.dir.pop_back();
  m.saved_model_path = m.dir + "/saved_model.pb";
  const std::string variables = m.dir + "/variables";
  if (!fs::exists(m.saved_model_path, ec)) throw Error(m.saved_model_path + ": no such file (not a SavedModel folder?)");
  if (!fs::is_directory(variables, ec))
    throw Error(variables + ": no such folder (a SavedModel keeps its weights there)");

  const std::string pb = read_whole_file(m.saved_model_path, kMaxSavedModelBytes);
  const nlohmann::json config = keras_functional_config(pb, m.saved_model_path);
  TensorBundle bundle(variables + "/variables");
  const TrackableObjectGraph objects = bundle.object_graph();
  const auto tensors = bundle.read_all_floats();  // every checksum verified
  m.model = convert_keras_model(config, objects, tensors, m.saved_model_path);

  m.saved_model_sha256 = sha256_hex(pb);
  m.variables_path = bundle.data_path(0);
  for (int64_t s = 0; s < bundle.num_shards(); ++s) {
    if (s) m.variables_sha256 += ',';
    m.variables_sha256 += sha256_file(bundle.data_path(s));
  }
  return m;
}

}  // namespace strata::import
