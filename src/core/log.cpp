#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace strata::log {
namespace {
std::atomic<Level> g_level{Level::info};
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

void write(Level l, const std::string& line) {
  std::lock_guard lock(g_mutex);
  std::fputs(prefix(l), stderr);
  std::fputs(line.c_str(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace strata::log
