#pragma once
// RAII handles and checked calls for HDF5's C API. HDF5's own error printing is turned off;
// a failed call throws strata::Error naming the file, the statement, file:line and the
// innermost message of HDF5's error stack.
#include <hdf5.h>

#include <mutex>
#include <source_location>
#include <string>
#include <vector>

namespace strata::store {

void hdf5_init();  // silences HDF5's automatic error printing, once

// Debian's HDF5 is not built thread-safe, and the loader reads on a background thread while the
// main thread writes checkpoints: every call into HDF5 holds this lock. (HDF5's own global state
// is why this one is process-wide.)
std::unique_lock<std::recursive_mutex> hdf5_lock();

[[noreturn]] void throw_hdf5_error(const std::string& path, const char* statement,
                                   const std::source_location& loc = std::source_location::current());

// An owned hid_t, closed with the right H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  hid_t release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Attributes on a file, group or dataset.
void write_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& path);
void write_attr(hid_t obj, const std::string& name, int64_t value, const std::string& path);
void write_attr(hid_t obj, const std::string& name, const std::vector<double>& values, const std::string& path);
void write_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values, const std::string& path);
bool has_attr(hid_t obj, const std::string& name);
std::string read_attr_string(hid_t obj, const std::string& name, const std::string& path);
int64_t read_attr_int(hid_t obj, const std::string& name, const std::string& path);
std::vector<double> read_attr_doubles(hid_t obj, const std::string& name, const std::string& path);
std::vector<std::string> read_attr_strings(hid_t obj, const std::string& name, const std::string& path);

}  // namespace strata::store

#define STRATA_H5_CHECK(stmt, path)                                                   \
  ([&]() {                                                                            \
    auto strata_h5_rc_ = (stmt);                                                      \
    if (strata_h5_rc_ < 0) ::strata::store::throw_hdf5_error((path), #stmt);          \
    return strata_h5_rc_;                                                             \
  }())
