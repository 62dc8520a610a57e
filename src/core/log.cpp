#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace strata::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::atomic<int> g_rank{0}, g_size{1};
std::mutex g_mutex;
const char* prefix(Level l) {
  switch (l) {
    case Level::debug: return "strata: debug: ";
    case Level::warn: return "strata: warning: ";
    case Level::error: return "strata: error: ";
    default: return "strata: ";
  }
}
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

void set_rank(int rank, int size) {
  g_rank = rank;
  g_size = size;
}

void write(Level l, const std::string& line) {
  if (g_rank > 0 && l < Level::error && g_level > Level::debug) return;
  std::lock_guard lock(g_mutex);
  std::fputs(prefix(l), stderr);
  if (g_size > 1) std::fprintf(stderr, "[rank %d/%d] ", g_rank.load(), g_size.load());
  std::fputs(line.c_str(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace strata::log
