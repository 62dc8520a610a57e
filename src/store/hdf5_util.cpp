#include "store/hdf5_util.h"

#include <mutex>

#include "core/error.h"

namespace strata::store {

void hdf5_init() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::unique_lock<std::recursive_mutex> hdf5_lock() {
  static std::recursive_mutex m;
  return std::unique_lock<std::recursive_mutex>(m);
}

namespace {

// The innermost error is the one that names the cause ("truncated file", "bad object header").
herr_t take_innermost(unsigned n, const H5E_error2_t* err, void* client) {
  auto* out = static_cast<std::string*>(client);
  if (n == 0 && err->desc) *out = err->desc;
  return 0;
}

std::string hdf5_message() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

}  // namespace

void throw_hdf5_error(const std::string& path, const char* statement, const std::source_location& loc) {
  const std::string msg = hdf5_message();
  throw Error(path + ": HDF5 call failed: " + statement + " at " + where(loc) + (msg.empty() ? "" : ": " + msg));
}

namespace {
// Variable-length UTF-8 strings: h5py reads them as str (fixed-length ones come back as bytes).
Handle utf8_string_type(const std::string& path) {
  Handle type(STRATA_H5_CHECK(H5Tcopy(H5T_C_S1), path), H5Tclose);
  STRATA_H5_CHECK(H5Tset_size(type, H5T_VARIABLE), path);
  STRATA_H5_CHECK(H5Tset_cset(type, H5T_CSET_UTF8), path);
  return type;
}

// A new attribute `name`, replacing one of that name (attributes are rewritten, e.g. norm_mean).
Handle replace_attr(hid_t obj, const std::string& name, hid_t type, hid_t space, const std::string& path) {
  if (H5Aexists(obj, name.c_str()) > 0) STRATA_H5_CHECK(H5Adelete(obj, name.c_str()), path);
  return Handle(STRATA_H5_CHECK(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), path), H5Aclose);
}

}  // namespace

void write_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& path) {
  Handle type = utf8_string_type(path);
  Handle space(STRATA_H5_CHECK(H5Screate(H5S_SCALAR), path), H5Sclose);
  Handle attr = replace_attr(obj, name, type, space, path);
  const char* ptr = value.c_str();
  STRATA_H5_CHECK(H5Awrite(attr, type, &ptr), path);
}

void write_attr(hid_t obj, const std::string& name, int64_t value, const std::string& path) {
  Handle space(STRATA_H5_CHECK(H5Screate(H5S_SCALAR), path), H5Sclose);
  Handle attr = replace_attr(obj, name, H5T_STD_I64LE, space, path);
  STRATA_H5_CHECK(H5Awrite(attr, H5T_NATIVE_INT64, &value), path);
}

void write_attr(hid_t obj, const std::string& name, const std::vector<double>& values, const std::string& path) {
  const hsize_t n = values.size();
  Handle space(STRATA_H5_CHECK(H5Screate_simple(1, &n, nullptr), path), H5Sclose);
  Handle attr = replace_attr(obj, name, H5T_IEEE_F64LE, space, path);
  if (!values.empty()) STRATA_H5_CHECK(H5Awrite(attr, H5T_NATIVE_DOUBLE, values.data()), path);
}

void write_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values, const std::string& path) {
  Handle type = utf8_string_type(path);
  const hsize_t n = values.size();
  Handle space(STRATA_H5_CHECK(H5Screate_simple(1, &n, nullptr), path), H5Sclose);
  Handle attr = replace_attr(obj, name, type, space, path);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (!ptrs.empty()) STRATA_H5_CHECK(H5Awrite(attr, type, ptrs.data()), path);
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

namespace {
Handle open_attr(hid_t obj, const std::string& name, const std::string& path) {
  if (H5Aexists(obj, name.c_str()) <= 0) throw Error(path + ": attribute '" + name + "' is missing");
  return Handle(STRATA_H5_CHECK(H5Aopen(obj, name.c_str(), H5P_DEFAULT), path), H5Aclose);
}
}  // namespace

std::string read_attr_string(hid_t obj, const std::string& name, const std::string& path) {
  Handle attr = open_attr(obj, name, path);
  Handle type(STRATA_H5_CHECK(H5Aget_type(attr), path), H5Tclose);
  if (H5Tget_class(type) != H5T_STRING) throw Error(path + ": attribute '" + name + "' is not a string");
  if (H5Tis_variable_str(type) > 0) {
    char* s = nullptr;
    Handle mem(STRATA_H5_CHECK(H5Tcopy(type), path), H5Tclose);
    STRATA_H5_CHECK(H5Aread(attr, mem, &s), path);
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  const size_t size = H5Tget_size(type);
  std::string out(size, '\0');
  STRATA_H5_CHECK(H5Aread(attr, type, out.data()), path);
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  return out;
}

int64_t read_attr_int(hid_t obj, const std::string& name, const std::string& path) {
  Handle attr = open_attr(obj, name, path);
  int64_t v = 0;
  STRATA_H5_CHECK(H5Aread(attr, H5T_NATIVE_INT64, &v), path);
  return v;
}

std::vector<double> read_attr_doubles(hid_t obj, const std::string& name, const std::string& path) {
  Handle attr = open_attr(obj, name, path);
  Handle space(STRATA_H5_CHECK(H5Aget_space(attr), path), H5Sclose);
  const hssize_t n = STRATA_H5_CHECK(H5Sget_simple_extent_npoints(space), path);
  std::vector<double> v(static_cast<size_t>(n));
  if (n > 0) STRATA_H5_CHECK(H5Aread(attr, H5T_NATIVE_DOUBLE, v.data()), path);
  return v;
}

std::vector<std::string> read_attr_strings(hid_t obj, const std::string& name, const std::string& path) {
  Handle attr = open_attr(obj, name, path);
  Handle space(STRATA_H5_CHECK(H5Aget_space(attr), path), H5Sclose);
  const hssize_t n = STRATA_H5_CHECK(H5Sget_simple_extent_npoints(space), path);
  Handle file_type(STRATA_H5_CHECK(H5Aget_type(attr), path), H5Tclose);
  if (H5Tget_class(file_type) != H5T_STRING || H5Tis_variable_str(file_type) <= 0)
    throw Error(path + ": attribute '" + name + "' is not a list of strings");
  Handle mem(STRATA_H5_CHECK(H5Tcopy(file_type), path), H5Tclose);
  std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
  if (n > 0) STRATA_H5_CHECK(H5Aread(attr, mem, ptrs.data()), path);
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  if (n > 0) H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data());
  return out;
}

}  // namespace strata::store
