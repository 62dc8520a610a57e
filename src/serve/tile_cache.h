#pragma once
// The most recently used encoded tiles, up to a byte budget, shared by the worker threads.
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace strata::serve {

struct CachedTile {
  std::string png, etag;
};

class TileCache {
 public:
  explicit TileCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  std::optional<CachedTile> get(const std::string& key);
  void put(const std::string& key, CachedTile tile);  // evicts the least recently used beyond the budget
  size_t bytes() const;
  size_t size() const;
  size_t hits() const;
  size_t misses() const;

 private:
  using Entry = std::pair<std::string, CachedTile>;
  mutable std::mutex m_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t max_bytes_, bytes_ = 0, hits_ = 0, misses_ = 0;
};

}  // namespace strata::serve
