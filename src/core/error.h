#pragma once
// Errors are exceptions that carry the path and the reason; src/cli catches them once
// and prints "strata: error: ...". A UsageError is the user's command line (exit 2);
// everything else is a runtime error (exit 1).
#include <source_location>
#include <stdexcept>
#include <string>

namespace strata {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public Error {
 public:
  using Error::Error;
};

// "file.cpp:123" of the caller, for errors that report a failed library call.
std::string where(const std::source_location& loc = std::source_location::current());

// Throws Error(message) when cond is false. For invariants and input checks alike.
inline void check(bool cond, const std::string& message) {
  if (!cond) throw Error(message);
}
// The same for a literal, which builds no string unless it fails: checks in a training
// step must not allocate.
inline void check(bool cond, const char* message) {
  if (!cond) throw Error(message);
}

}  // namespace strata
