#pragma once
// The immutable sorted table ("SSTable") of LevelDB, which TensorFlow uses for a tensor bundle's
// `variables.index`. Layout, as in leveldb/table/format.{h,cc} and TensorFlow's lib/io/table:
//   data blocks ... | metaindex block | index block | footer (48 bytes)
//   footer  = metaindex BlockHandle, index BlockHandle (varint64 offset, varint64 size each),
//             zero padding to 40 bytes, magic 0xdb4775248b80fb57 (fixed64, low word first)
//   a block = its contents (size bytes) + a 5-byte trailer: type (0 raw, 1 Snappy) and the
//             masked CRC-32C of contents + type byte
//   contents (after decompression) = entries, restart offsets (fixed32 each), their count
//             (fixed32); an entry = varint shared, varint non_shared, varint value_length, the
//             key's last non_shared bytes (the first `shared` come from the previous key), value.
//             At a restart offset shared is 0.
// The index block maps a key at or after each data block's last key to that block's handle.
// Every handle, length and count is checked against the bytes it points into; any corruption is
// an Error naming the file.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::import {

inline constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
inline constexpr size_t kTableFooterSize = 48;
inline constexpr size_t kBlockTrailerSize = 5;

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // without the trailer
};

struct TableFooter {
  BlockHandle metaindex;
  BlockHandle index;
};

using TableEntries = std::vector<std::pair<std::string, std::string>>;

// The footer of a whole table file `file`; Error when it is short or the magic is wrong.
TableFooter read_table_footer(std::string_view file, const std::string& path);
// The contents of the block at `h`: trailer CRC verified, Snappy-decompressed when so marked.
std::string read_table_block(std::string_view file, const BlockHandle& h, const std::string& path,
                             const std::string& what);
// The entries of one block's contents, keys expanded, in order.
TableEntries block_entries(std::string_view contents, const std::string& what);

// Every (key, value) of the table in `file` (the whole file's bytes), in key order.
TableEntries read_table(std::string_view file, const std::string& path);

}  // namespace strata::import
