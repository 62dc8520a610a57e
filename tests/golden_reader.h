#pragma once
// Reads the named-tensor files scripts/make_golden.py writes (format in its docstring).
// Header-only and test-only: production state goes through src/store's HDF5.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/checked.h"
#include "core/error.h"

namespace strata::test {

struct GoldenTensor {
  std::vector<int64_t> shape;
  std::vector<float> f32;   // dtype 0
  std::vector<uint8_t> u8;  // dtype 1
};

inline std::map<std::string, GoldenTensor> read_golden(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), path + ": cannot open (regenerate with /usr/bin/python3 scripts/make_golden.py)");
  auto read = [&](void* dst, size_t bytes) {
    in.read(static_cast<char*>(dst), static_cast<std::streamsize>(bytes));
    check(static_cast<size_t>(in.gcount()) == bytes, path + ": truncated");
  };
  char magic[8];
  read(magic, 8);
  check(std::memcmp(magic, "STRTNSR1", 8) == 0, path + ": not a strata golden tensor file");
  uint32_t count = 0;
  read(&count, 4);
  std::map<std::string, GoldenTensor> out;
  for (uint32_t t = 0; t < count; ++t) {
    uint32_t len = 0;
    read(&len, 4);
    check(len < 4096, path + ": corrupt tensor name length");
    std::string name(len, '\0');
    read(name.data(), len);
    uint8_t dtype = 0;
    uint32_t rank = 0;
    read(&dtype, 1);
    read(&rank, 4);
    check(dtype <= 1 && rank <= 8, path + ": corrupt header of '" + name + "'");
    GoldenTensor g;
    g.shape.resize(rank);
    if (rank) read(g.shape.data(), rank * sizeof(int64_t));
    int64_t n = 1;
    for (int64_t d : g.shape) n = checked_mul(n, d);
    if (dtype == 0) {
      g.f32.resize(static_cast<size_t>(n));
      read(g.f32.data(), g.f32.size() * sizeof(float));
    } else {
      g.u8.resize(static_cast<size_t>(n));
      read(g.u8.data(), g.u8.size());
    }
    out.emplace(name, std::move(g));
  }
  return out;
}

}  // namespace strata::test
