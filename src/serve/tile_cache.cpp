#include "serve/tile_cache.h"

namespace strata::serve {

std::optional<CachedTile> TileCache::get(const std::string& key) {
  std::lock_guard lock(m_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void TileCache::put(const std::string& key, CachedTile tile) {
  const size_t size = tile.png.size() + tile.etag.size() + key.size();
  std::lock_guard lock(m_);
  if (size > max_bytes_) return;
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->second.png.size() + it->second->second.etag.size() + key.size();
    order_.erase(it->second);
    index_.erase(it);
  }
  order_.emplace_front(key, std::move(tile));
  index_[key] = order_.begin();
  bytes_ += size;
  while (bytes_ > max_bytes_ && !order_.empty()) {
    const Entry& last = order_.back();
    bytes_ -= last.second.png.size() + last.second.etag.size() + last.first.size();
    index_.erase(last.first);
    order_.pop_back();
  }
}

size_t TileCache::bytes() const {
  std::lock_guard lock(m_);
  return bytes_;
}
size_t TileCache::size() const {
  std::lock_guard lock(m_);
  return order_.size();
}
size_t TileCache::hits() const {
  std::lock_guard lock(m_);
  return hits_;
}
size_t TileCache::misses() const {
  std::lock_guard lock(m_);
  return misses_;
}

}  // namespace strata::serve
