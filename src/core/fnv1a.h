#pragma once
// FNV-1a, 64 bit: the identity of a run's settings or of a model's weights, written as 16 hex
// digits into files (dataset shards, prediction tiles) so a rerun can tell its own work from
// another's. Not cryptographic: it guards against mix-ups, not against forgery.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace strata {

class Fnv1a {
 public:
  Fnv1a& add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) h_ = (h_ ^ p[i]) * 1099511628211ULL;
    return *this;
  }
  Fnv1a& add(std::string_view text) { return add(text.data(), text.size()); }
  uint64_t value() const { return h_; }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
    return buf;
  }

 private:
  uint64_t h_ = 1469598103934665603ULL;
};

}  // namespace strata
