#include "store/checkpoint.h"


#include <cstdio>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/error.h"
#include "store/hdf5_util.h"

namespace strata::store {
namespace {

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

}  // namespace

void write_checkpoint(const std::string& path, const nn::ModelState& state) {
  hdf5_init();
  auto lock = hdf5_lock();
  const std::string tmp = temporary_name(path);
  struct Remove {  // the temporary goes unless renamed
    const std::string& p;
    bool keep = false;
    ~Remove() {
      if (!keep) std::remove(p.c_str());
    }
  } remove_tmp{tmp};
  {
    Handle fapl(STRATA_H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), path), H5Pclose);
    STRATA_H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), path);
    Handle file(STRATA_H5_CHECK(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), path), H5Fclose);
    write_attr(file, "format", std::string(kCheckpointFormat), path);
    Handle meta(STRATA_H5_CHECK(H5Gcreate2(file, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path), H5Gclose);
    for (const auto& [k, v] : state.metadata) write_attr(meta, k, v, path);
    Handle tensors(STRATA_H5_CHECK(H5Gcreate2(file, "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path), H5Gclose);
    for (const nn::StateTensor& t : state.tensors) {
      std::vector<hsize_t> dims(t.shape.begin(), t.shape.end());
      int64_t n = 1;
      for (int64_t d : t.shape) n = checked_mul(n, d);
      if (n != static_cast<int64_t>(t.values.size()))
        throw Error(path + ": tensor " + t.name + " has " + std::to_string(t.values.size()) + " values for its shape");
      Handle space(STRATA_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path), H5Sclose);
      Handle d(STRATA_H5_CHECK(H5Dcreate2(tensors, t.name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path),
               H5Dclose);
      if (n > 0) STRATA_H5_CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()), path);
    }
    tensors.reset();
    meta.reset();
    STRATA_H5_CHECK(H5Fclose(file.release()), path);  // the close flushes: its result matters
  }
  rename_into_place(tmp, path);
  remove_tmp.keep = true;
}

nn::ModelState read_checkpoint(const std::string& path) {
  hdf5_init();
  auto lock = hdf5_lock();
  if (!std::filesystem::exists(path)) throw Error(path + ": no such checkpoint");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw Error(path + ": not an HDF5 file, or truncated");
  }
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw_hdf5_error(path, "H5Fopen (truncated or corrupt checkpoint?)");
  Handle file(f, H5Fclose);
  if (!has_attr(file, "format") || read_attr_string(file, "format", path) != kCheckpointFormat)
    throw Error(path + ": not a strata checkpoint (no format attribute \"" + kCheckpointFormat + "\")");
  nn::ModelState state;
  for (const char* g : {"metadata", "tensors"})
    if (H5Lexists(file, g, H5P_DEFAULT) <= 0) throw Error(path + ": checkpoint has no /" + std::string(g));
  Handle meta(STRATA_H5_CHECK(H5Gopen2(file, "metadata", H5P_DEFAULT), path), H5Gclose);
  std::vector<std::string> keys;
  STRATA_H5_CHECK(H5Aiterate2(meta, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr, &keys), path);
  for (const auto& k : keys) state.metadata[k] = read_attr_string(meta, k, path);

  Handle tensors(STRATA_H5_CHECK(H5Gopen2(file, "tensors", H5P_DEFAULT), path), H5Gclose);
  std::vector<std::string> names;
  STRATA_H5_CHECK(H5Literate(tensors, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names), path);
  for (const auto& name : names) {
    Handle d(STRATA_H5_CHECK(H5Dopen2(tensors, name.c_str(), H5P_DEFAULT), path), H5Dclose);
    Handle space(STRATA_H5_CHECK(H5Dget_space(d), path), H5Sclose);
    const int rank = STRATA_H5_CHECK(H5Sget_simple_extent_ndims(space), path);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    STRATA_H5_CHECK(H5Sget_simple_extent_dims(space, dims.data(), nullptr), path);
    nn::StateTensor t;
    t.name = name;
    int64_t n = 1;
    for (hsize_t v : dims) {
      t.shape.push_back(static_cast<int64_t>(v));
      n = checked_mul(n, static_cast<int64_t>(v));
    }
    t.values.resize(static_cast<size_t>(n));
    if (n > 0) STRATA_H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()), path);
    state.tensors.push_back(std::move(t));
  }
  return state;
}

}  // namespace strata::store
