// Which matrix element each lane's fragment slot holds in the emulator's wmma (wmma.h):
// row-major in lane order, or a permutation drawn from the emulator's seed.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/emulator/wmma.h"

namespace strata::emu {
namespace {
bool g_scramble = [] {
  const char* s = std::getenv("STRATA_CUDA_EMULATOR_SCRAMBLE_WMMA");
  return s && *s && *s != '0';
}();
}  // namespace

void set_wmma_scramble(bool on) { g_scramble = on; }

const int* fragment_layout(int rows, int cols) {
  static std::mutex m;
  static std::map<std::pair<int, int>, std::vector<int>> plain, scrambled;
  std::lock_guard lock(m);
  auto& table = (g_scramble ? scrambled : plain)[{rows, cols}];
  if (table.empty()) {
    table.resize(static_cast<size_t>(rows * cols));
    std::iota(table.begin(), table.end(), 0);
    if (g_scramble) std::shuffle(table.begin(), table.end(), std::mt19937(static_cast<unsigned>(rows * 131 + cols)));
  }
  return table.data();
}

}  // namespace strata::emu
