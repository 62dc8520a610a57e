#pragma once
// SHA-256 (FIPS 180-4), for the provenance of imported weights: the checkpoint records the
// digests of the files it was made from, comparable with `sha256sum`.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::import {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::array<uint8_t, 32> digest();  // finishes; the object is spent
  std::string hex();                 // digest() as 64 lower-case hex digits

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t used_ = 0;
  uint64_t bytes_ = 0;
};

std::string sha256_hex(std::string_view data);
// The digest of a file, read in pieces; Error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace strata::import
