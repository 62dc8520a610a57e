#pragma once
// The one piece of global state: where log lines go and how verbose they are.
// Lines go to stderr so that stdout stays for results (tables, JSON).
#include <sstream>
#include <string>

namespace strata::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, quiet = 4 };

void set_level(Level level);
// Under MPI: lines carry "[rank r/n]", and ranks other than 0 print only errors unless the
// level is debug, so N ranks do not print N copies of every warning.
void set_rank(int rank, int size);
Level level();
void write(Level level, const std::string& line);

template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}

template <class... Args> void debug(const Args&... a) { if (level() <= Level::debug) write(Level::debug, cat(a...)); }
template <class... Args> void info(const Args&... a) { if (level() <= Level::info) write(Level::info, cat(a...)); }
template <class... Args> void warn(const Args&... a) { if (level() <= Level::warn) write(Level::warn, cat(a...)); }

}  // namespace strata::log
