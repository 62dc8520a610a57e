#include "import/binary_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace strata::import {

BinaryFile::BinaryFile(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const auto status = std::filesystem::status(path_, ec);
  if (ec || !std::filesystem::exists(status)) throw Error(path_ + ": no such file");
  if (!std::filesystem::is_regular_file(status)) throw Error(path_ + ": not a regular file");
  const auto n = std::filesystem::file_size(path_, ec);
  if (ec) throw Error(path_ + ": cannot read its size: " + ec.message());
  size_ = static_cast<int64_t>(n);
  in_.open(path_, std::ios::binary);
  if (!in_) throw Error(path_ + ": cannot open: " + std::strerror(errno));
}

std::string BinaryFile::read(int64_t offset, int64_t n, const std::string& what) {
  const std::string range = std::to_string(n) + " bytes at offset " + std::to_string(offset);
  // offset and n come from the file itself: compare without forming offset + n.
  if (offset < 0 || n < 0 || offset > size_ || n > size_ - offset)
    throw Error(path_ + ": " + what + ": " + range + " lie outside the file (" + std::to_string(size_) +
                " bytes; truncated or corrupt?)");
  std::string out(static_cast<size_t>(n), '\0');
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset));
  if (n > 0) in_.read(out.data(), static_cast<std::streamsize>(n));
  if (!in_ || in_.gcount() != static_cast<std::streamsize>(n))
    throw Error(path_ + ": " + what + ": cannot read " + range + " (file changed while reading?)");
  return out;
}

std::string read_whole_file(const std::string& path, int64_t max_bytes) {
  BinaryFile f(path);
  if (f.size() > max_bytes)
    throw Error(path + ": " + std::to_string(f.size()) + " bytes, more than the " + std::to_string(max_bytes) +
                " expected of such a file");
  return f.read_all();
}

}  // namespace strata::import
