#include "store/shard.h"


#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/error.h"
#include "store/hdf5_util.h"

namespace strata::store {
namespace {

Handle create_chunked(hid_t file, const char* name, hid_t type, const std::vector<hsize_t>& dims,
                      const std::vector<hsize_t>& chunk, const std::string& path) {
  Handle space(STRATA_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path), H5Sclose);
  Handle dcpl(STRATA_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE), path), H5Pclose);
  if (dims[0] > 0) {
    STRATA_H5_CHECK(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), path);
    STRATA_H5_CHECK(H5Pset_shuffle(dcpl), path);
    STRATA_H5_CHECK(H5Pset_deflate(dcpl, 4), path);
  }
  return Handle(STRATA_H5_CHECK(H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), path), H5Dclose);
}

// Writes or reads one patch (the first-axis slice `index`) of a dataset.
void patch_io(hid_t dset, int64_t index, hid_t mem_type, void* buf, bool write, const std::string& path) {
  Handle file_space(STRATA_H5_CHECK(H5Dget_space(dset), path), H5Sclose);
  const int rank = STRATA_H5_CHECK(H5Sget_simple_extent_ndims(file_space), path);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  STRATA_H5_CHECK(H5Sget_simple_extent_dims(file_space, dims.data(), nullptr), path);
  if (index < 0 || static_cast<hsize_t>(index) >= dims[0])
    throw Error(path + ": patch " + std::to_string(index) + " out of range (" + std::to_string(dims[0]) + " patches)");
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = static_cast<hsize_t>(index);
  count[0] = 1;
  STRATA_H5_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), path);
  Handle mem_space(STRATA_H5_CHECK(H5Screate_simple(rank, count.data(), nullptr), path), H5Sclose);
  if (write) STRATA_H5_CHECK(H5Dwrite(dset, mem_type, mem_space, file_space, H5P_DEFAULT, buf), path);
  else STRATA_H5_CHECK(H5Dread(dset, mem_type, mem_space, file_space, H5P_DEFAULT, buf), path);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct ShardWriter::Impl {
  std::string tmp;
  ShardHeader header;
  int64_t patches = 0;
  Handle file, inputs, labels, origin;
  bool committed = false;
};

ShardWriter::ShardWriter(std::string path, ShardHeader h, int64_t patches)
    : impl_(std::make_unique<Impl>()), path_(std::move(path)) {
  hdf5_init();
  auto lock = hdf5_lock();
  if (h.patch_size <= 0 || h.band_names.empty()) throw Error(path_ + ": shard needs a patch size and bands");
  impl_->tmp = temporary_name(path_);
  impl_->header = std::move(h);
  impl_->patches = patches;
  const ShardHeader& hd = impl_->header;
  const std::string& p = path_;
  Handle fapl(STRATA_H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), p), H5Pclose);
  // Files h5py (HDF5 >= 1.8) reads, with the compact newer object headers.
  STRATA_H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), p);
  impl_->file = Handle(STRATA_H5_CHECK(H5Fcreate(impl_->tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), p), H5Fclose);

  const hsize_t n = static_cast<hsize_t>(patches), b = static_cast<hsize_t>(hd.bands()),
                s = static_cast<hsize_t>(hd.patch_size);
  impl_->inputs = create_chunked(impl_->file, "inputs", H5T_STD_U16LE, {n, b, s, s}, {1, b, s, s}, p);
  impl_->labels = create_chunked(impl_->file, "labels", H5T_STD_U8LE, {n, s, s}, {1, s, s}, p);
  impl_->origin = create_chunked(impl_->file, "origin", H5T_STD_I64LE, {n, 3}, {std::max<hsize_t>(1, std::min<hsize_t>(n, 4096)), 3}, p);
  write_attr(impl_->origin, "columns", std::vector<std::string>{"scene", "row", "col"}, p);

  const hid_t root = impl_->file;
  write_attr(root, "format_version", hd.format_version, p);
  write_attr(root, "band_names", hd.band_names, p);
  write_attr(root, "class_names", hd.class_names, p);
  write_attr(root, "patch_size", hd.patch_size, p);
  write_attr(root, "crs", hd.crs_wkt, p);
  write_attr(root, "split", hd.split, p);
  write_attr(root, "scenes", hd.scenes, p);
  write_attr(root, "config_hash", hd.config_hash, p);
  write_attr(root, "norm_mean", hd.norm_mean, p);
  write_attr(root, "norm_std", hd.norm_std, p);
  write_attr(root, "stats", hd.stats_json, p);
}

ShardWriter::ShardWriter(ShardWriter&&) noexcept = default;

ShardWriter::~ShardWriter() {
  if (!impl_ || impl_->committed) return;
  auto lock = hdf5_lock();
  impl_->inputs.reset();
  impl_->labels.reset();
  impl_->origin.reset();
  impl_->file.reset();
  std::remove(impl_->tmp.c_str());
}

void ShardWriter::write(int64_t index, const uint16_t* inputs, const uint8_t* labels, const PatchOrigin& origin) {
  auto lock = hdf5_lock();
  patch_io(impl_->inputs, index, H5T_NATIVE_UINT16, const_cast<uint16_t*>(inputs), true, path_);
  patch_io(impl_->labels, index, H5T_NATIVE_UINT8, const_cast<uint8_t*>(labels), true, path_);
  PatchOrigin o = origin;
  patch_io(impl_->origin, index, H5T_NATIVE_INT64, o.data(), true, path_);
}

void ShardWriter::set_normalization(const std::vector<double>& mean, const std::vector<double>& std) {
  auto lock = hdf5_lock();
  const auto bands = static_cast<size_t>(impl_->header.bands());
  if (mean.size() != bands || std.size() != bands) throw Error(path_ + ": normalisation needs one value per band");
  write_attr(impl_->file, "norm_mean", mean, path_);
  write_attr(impl_->file, "norm_std", std, path_);
}

void ShardWriter::set_stats_json(const std::string& json) {
  auto lock = hdf5_lock();
  write_attr(impl_->file, "stats", json, path_);
}

void ShardWriter::commit() {
  if (impl_->committed) throw Error(path_ + ": committed twice");
  auto lock = hdf5_lock();
  impl_->inputs.reset();
  impl_->labels.reset();
  impl_->origin.reset();
  STRATA_H5_CHECK(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), path_);
  // Closing flushes the last chunks, so its result matters.
  STRATA_H5_CHECK(H5Fclose(impl_->file.release()), path_);
  rename_into_place(impl_->tmp, path_);
  impl_->committed = true;
}

// ---------------------------------------------------------------------------------------------

struct ShardReader::Impl {
  Handle file, inputs, labels, origin;
};

ShardReader::ShardReader(std::string path) : impl_(std::make_unique<Impl>()), path_(std::move(path)) {
  hdf5_init();
  auto lock = hdf5_lock();
  const std::string& p = path_;
  if (!std::filesystem::exists(p)) throw Error(p + ": no such shard");
  if (H5Fis_hdf5(p.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw Error(p + ": not an HDF5 file, or truncated");
  }
  const hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw_hdf5_error(p, "H5Fopen (truncated or corrupt shard?)");
  impl_->file = Handle(f, H5Fclose);
  for (const char* name : {"inputs", "labels", "origin"})
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) throw Error(p + ": not a strata shard (no /" + std::string(name) + ")");
  impl_->inputs = Handle(STRATA_H5_CHECK(H5Dopen2(f, "inputs", H5P_DEFAULT), p), H5Dclose);
  impl_->labels = Handle(STRATA_H5_CHECK(H5Dopen2(f, "labels", H5P_DEFAULT), p), H5Dclose);
  impl_->origin = Handle(STRATA_H5_CHECK(H5Dopen2(f, "origin", H5P_DEFAULT), p), H5Dclose);

  ShardHeader& h = header_;
  h.format_version = read_attr_int(f, "format_version", p);
  if (h.format_version != kShardFormatVersion)
    throw Error(p + ": shard format version " + std::to_string(h.format_version) + ", this strata reads version " +
                std::to_string(kShardFormatVersion));
  h.band_names = read_attr_strings(f, "band_names", p);
  h.class_names = read_attr_strings(f, "class_names", p);
  h.patch_size = read_attr_int(f, "patch_size", p);
  h.crs_wkt = read_attr_string(f, "crs", p);
  h.split = read_attr_string(f, "split", p);
  h.scenes = read_attr_strings(f, "scenes", p);
  h.config_hash = read_attr_string(f, "config_hash", p);
  h.norm_mean = read_attr_doubles(f, "norm_mean", p);
  h.norm_std = read_attr_doubles(f, "norm_std", p);
  h.stats_json = has_attr(f, "stats") ? read_attr_string(f, "stats", p) : "";

  auto dims_of = [&](hid_t d) {
    Handle space(STRATA_H5_CHECK(H5Dget_space(d), p), H5Sclose);
    const int rank = STRATA_H5_CHECK(H5Sget_simple_extent_ndims(space), p);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    STRATA_H5_CHECK(H5Sget_simple_extent_dims(space, dims.data(), nullptr), p);
    return dims;
  };
  const auto di = dims_of(impl_->inputs), dl = dims_of(impl_->labels), dor = dims_of(impl_->origin);
  const auto s = static_cast<hsize_t>(h.patch_size), b = static_cast<hsize_t>(h.bands());
  if (di.size() != 4 || di[1] != b || di[2] != s || di[3] != s || dl.size() != 3 || dl[0] != di[0] || dl[1] != s ||
      dl[2] != s || dor.size() != 2 || dor[0] != di[0] || dor[1] != 3)
    throw Error(p + ": dataset shapes disagree with the attributes (bands " + std::to_string(b) + ", patch " +
                std::to_string(s) + ")");
  size_ = static_cast<int64_t>(di[0]);
}

ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader::~ShardReader() {
  auto lock = hdf5_lock();
  impl_.reset();
}

void ShardReader::read(int64_t index, uint16_t* inputs, uint8_t* labels) const {
  auto lock = hdf5_lock();
  patch_io(impl_->inputs, index, H5T_NATIVE_UINT16, inputs, false, path_);
  patch_io(impl_->labels, index, H5T_NATIVE_UINT8, labels, false, path_);
}

PatchOrigin ShardReader::origin(int64_t index) const {
  auto lock = hdf5_lock();
  PatchOrigin o{};
  patch_io(impl_->origin, index, H5T_NATIVE_INT64, o.data(), false, path_);
  return o;
}

}  // namespace strata::store
