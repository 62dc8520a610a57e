#include "store/checkpoint.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "core/error.h"
#include "store/hdf5_util.h"

namespace strata::store {
namespace {

std::string temporary_name(const std::string& path) {
  static std::atomic<int> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Collects attribute names (H5Aiterate2's callback; the same in HDF5 1.10 and 1.12+).
herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

}  // namespace

void write_checkpoint(const std::string& path, const nn::ModelState& state) {
  hdf5_init();
  const auto lock = hdf5_lock();
  const std::string tmp = temporary_name(path);
  try {
    Handle file(STRATA_H5_CHECK(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), path), H5Fclose);
    Handle group(STRATA_H5_CHECK(H5Gcreate2(file, "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path), H5Gclose);
    for (const auto& t : state.tensors) {
      check(t.name.find('/') == std::string::npos, path + ": tensor name '" + t.name + "' contains '/'");
      std::vector<hsize_t> dims(t.shape.begin(), t.shape.end());
      Handle space(STRATA_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path),
                   H5Sclose);
      Handle ds(STRATA_H5_CHECK(H5Dcreate2(group, t.name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                           H5P_DEFAULT),
                                path),
                H5Dclose);
      if (!t.values.empty())
        STRATA_H5_CHECK(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()), path);
    }
    for (const auto& [key, value] : state.metadata) write_attr(file, key, value, path);
    write_attr(file, "tensor_count", static_cast<int64_t>(state.tensors.size()), path);
    STRATA_H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path + ": cannot rename " + tmp + " into place: " + ec.message());
}

nn::ModelState read_checkpoint(const std::string& path) {
  hdf5_init();
  const auto lock = hdf5_lock();
  check(std::filesystem::exists(path), path + ": no such checkpoint");
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw_hdf5_error(path, "H5Fopen (truncated or not an HDF5 checkpoint?)");
  Handle file(f, H5Fclose);
  check(H5Lexists(file, "tensors", H5P_DEFAULT) > 0, path + ": not a strata checkpoint (no /tensors group)");
  nn::ModelState state;
  std::vector<std::string> keys;
  STRATA_H5_CHECK(H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr, &keys), path);
  for (const std::string& key : keys)
    if (key != "tensor_count") state.metadata[key] = read_attr_string(file, key, path);
  Handle group(STRATA_H5_CHECK(H5Gopen2(file, "tensors", H5P_DEFAULT), path), H5Gclose);
  H5G_info_t info{};
  STRATA_H5_CHECK(H5Gget_info(group, &info), path);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        STRATA_H5_CHECK(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT), path);
    std::string name(static_cast<size_t>(len), '\0');
    STRATA_H5_CHECK(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                                       static_cast<size_t>(len) + 1, H5P_DEFAULT),
                    path);
    names.push_back(std::move(name));
  }
  const int64_t expected = read_attr_int(file, "tensor_count", path);
  check(static_cast<int64_t>(names.size()) == expected,
        path + ": holds " + std::to_string(names.size()) + " tensors of " + std::to_string(expected) +
            " written (truncated checkpoint?)");
  for (const std::string& name : names) {
    Handle ds(STRATA_H5_CHECK(H5Dopen2(group, name.c_str(), H5P_DEFAULT), path), H5Dclose);
    Handle space(STRATA_H5_CHECK(H5Dget_space(ds), path), H5Sclose);
    const int rank = STRATA_H5_CHECK(H5Sget_simple_extent_ndims(space), path);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    STRATA_H5_CHECK(H5Sget_simple_extent_dims(space, dims.data(), nullptr), path);
    nn::StateTensor t;
    t.name = name;
    int64_t count = 1;
    for (hsize_t d : dims) {
      t.shape.push_back(static_cast<int64_t>(d));
      count = checked_mul(count, static_cast<int64_t>(d));
    }
    t.values.resize(static_cast<size_t>(count));
    if (count > 0)
      STRATA_H5_CHECK(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()), path);
    state.tensors.push_back(std::move(t));
  }
  return state;
}

}  // namespace strata::store
