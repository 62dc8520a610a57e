#pragma once
// Reading foreign binary files by byte range, with every range checked against the file's size
// before anything is allocated: an offset or length read from a corrupt file can at worst give
// an Error naming the file, never a read past the end or an allocation larger than the file.
#include <cstdint>
#include <fstream>
#include <string>

namespace strata::import {

class BinaryFile {
 public:
  // Error "<path>: cannot open (...)" when missing or unreadable.
  explicit BinaryFile(std::string path);
  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  // Bytes [offset, offset + n); Error naming the file, `what` and the range when it is not inside
  // the file or the read fails.
  std::string read(int64_t offset, int64_t n, const std::string& what);
  std::string read_all() { return read(0, size_, "whole file"); }

 private:
  std::string path_;
  std::ifstream in_;
  int64_t size_ = 0;
};

// The whole file; Error when it is missing or larger than max_bytes.
std::string read_whole_file(const std::string& path, int64_t max_bytes);

}  // namespace strata::import
