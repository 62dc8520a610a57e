#pragma once
// Builders of the little binary formats strata import-model reads (protobuf wire format, LevelDB
// tables, TensorFlow tensor bundles), so the readers' tests start from hand-made byte strings.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "import/crc32c.h"

namespace strata::test {

inline std::string varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
  return s;
}
inline std::string fixed32(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
inline std::string fixed64(uint64_t v) { return fixed32(static_cast<uint32_t>(v)) + fixed32(static_cast<uint32_t>(v >> 32)); }

// Protobuf fields.
inline std::string pb_varint(uint32_t field, uint64_t v) { return varint(uint64_t{field} << 3) + varint(v); }
inline std::string pb_bytes(uint32_t field, const std::string& b) { return varint((uint64_t{field} << 3) | 2) + varint(b.size()) + b; }
inline std::string pb_fixed32(uint32_t field, uint32_t v) { return varint((uint64_t{field} << 3) | 5) + fixed32(v); }

using Entries = std::vector<std::pair<std::string, std::string>>;

// A block's contents: prefix-compressed entries, a restart every `interval` entries.
inline std::string table_block(const Entries& entries, size_t interval = 16) {
  std::string out, prev;
  std::vector<uint32_t> restarts;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [key, value] = entries[i];
    size_t shared = 0;
    if (i % interval == 0) {
      restarts.push_back(static_cast<uint32_t>(out.size()));
    } else {
      while (shared < prev.size() && shared < key.size() && prev[shared] == key[shared]) ++shared;
    }
    out += varint(shared) + varint(key.size() - shared) + varint(value.size()) + key.substr(shared) + value;
    prev = key;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (uint32_t r : restarts) out += fixed32(r);
  return out + fixed32(static_cast<uint32_t>(restarts.size()));
}

// Snappy's format with literals only: the uncompressed length, then 2-byte-length literal runs.
inline std::string snappy_literal(const std::string& raw) {
  std::string out = varint(raw.size());
  for (size_t pos = 0; pos < raw.size(); pos += 65536) {
    const size_t n = std::min<size_t>(65536, raw.size() - pos);
    out += static_cast<char>(61 << 2);
    out += static_cast<char>((n - 1) & 0xff);
    out += static_cast<char>(((n - 1) >> 8) & 0xff);
    out += raw.substr(pos, n);
  }
  return out;
}

// contents + type byte + masked CRC-32C of both.
inline std::string with_trailer(const std::string& contents, char type) {
  const std::string typed = contents + type;
  return typed + fixed32(import::crc32c_mask(import::crc32c(typed)));
}

inline std::string block_handle(uint64_t offset, uint64_t size) { return varint(offset) + varint(size); }

// A whole table: one data block per `per_block` entries, the index, an empty metaindex, the footer.
inline std::string table_file(const Entries& entries, bool snappy = false, size_t per_block = 1000, size_t interval = 16) {
  std::string file;
  Entries index;
  for (size_t b = 0; b < entries.size(); b += per_block) {
    const Entries part(entries.begin() + static_cast<long>(b),
                       entries.begin() + static_cast<long>(std::min(entries.size(), b + per_block)));
    std::string contents = table_block(part, interval);
    if (snappy) contents = snappy_literal(contents);
    index.emplace_back(part.back().first, block_handle(file.size(), contents.size()));
    file += with_trailer(contents, snappy ? 1 : 0);
  }
  const std::string meta = table_block({});
  const uint64_t meta_at = file.size();
  file += with_trailer(meta, 0);
  const std::string idx = table_block(index, 1);
  const uint64_t index_at = file.size();
  file += with_trailer(idx, 0);
  std::string footer = block_handle(meta_at, meta.size()) + block_handle(index_at, idx.size());
  footer.resize(40, '\0');
  return file + footer + fixed64(0xdb4775248b80fb57ull);
}

}  // namespace strata::test
