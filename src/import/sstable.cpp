#include "import/sstable.h"

#include <snappy.h>

#include <algorithm>

#include "core/error.h"
#include "import/crc32c.h"
#include "import/protobuf_wire.h"

namespace strata::import {
namespace {

// A decompressed block may be at most this large: TensorFlow writes blocks of about 4 KiB (its
// index files are a few KB); a Snappy header claiming more is corruption, not a reason to allocate.
constexpr size_t kMaxBlockSize = size_t{64} << 20;

BlockHandle read_handle(std::string_view data, size_t& pos, const std::string& what) {
  BlockHandle h;
  h.offset = pb::read_varint(data, pos, what);
  h.size = pb::read_varint(data, pos, what);
  return h;
}

}  // namespace

TableFooter read_table_footer(std::string_view file, const std::string& path) {
  check(file.size() >= kTableFooterSize, path + ": " + std::to_string(file.size()) +
                                             " bytes, too short for a table (its footer alone is 48; truncated?)");
  const std::string_view footer = file.substr(file.size() - kTableFooterSize);
  size_t pos = kTableFooterSize - 8;
  const uint64_t magic = pb::read_fixed64(footer, pos, path);
  check(magic == kTableMagic, path + ": bad table magic number (not a TensorFlow/LevelDB table, or truncated)");
  // The handles are varints inside the first 40 bytes; reading from a 40-byte view keeps them there.
  const std::string_view handles = footer.substr(0, kTableFooterSize - 8);
  pos = 0;
  TableFooter f;
  f.metaindex = read_handle(handles, pos, path + ": table footer");
  f.index = read_handle(handles, pos, path + ": table footer");
  return f;
}

std::string read_table_block(std::string_view file, const BlockHandle& h, const std::string& path,
                             const std::string& what) {
  const std::string at = path + ": " + what + " block (" + std::to_string(h.size) + " bytes at " + std::to_string(h.offset) + ")";
  // The block and its trailer must lie before the footer; no sum is formed that could wrap.
  const uint64_t limit = file.size() - kTableFooterSize;  // read_table_footer checked size >= 48
  check(h.offset <= limit && h.size <= limit - h.offset && kBlockTrailerSize <= limit - h.offset - h.size,
        at + ": lies outside the file (truncated or corrupt index)");
  const std::string_view contents = file.substr(static_cast<size_t>(h.offset), static_cast<size_t>(h.size));
  const std::string_view trailer = file.substr(static_cast<size_t>(h.offset + h.size), kBlockTrailerSize);
  size_t pos = 1;
  const uint32_t stored = pb::read_fixed32(trailer, pos, at);
  const uint32_t actual = crc32c_extend(crc32c(contents), trailer.substr(0, 1));
  check(crc32c_unmask(stored) == actual, at + ": checksum mismatch (corrupt file)");
  switch (static_cast<uint8_t>(trailer[0])) {
    case 0: return std::string(contents);
    case 1: {
      size_t n = 0;
      check(snappy::IsValidCompressedBuffer(contents.data(), contents.size()) &&
                snappy::GetUncompressedLength(contents.data(), contents.size(), &n),
            at + ": invalid Snappy data");
      check(n <= kMaxBlockSize, at + ": claims " + std::to_string(n) + " bytes uncompressed (corrupt)");
      std::string out(n, '\0');
      check(snappy::RawUncompress(contents.data(), contents.size(), out.data()), at + ": invalid Snappy data");
      return out;
    }
    default:
      throw Error(at + ": unknown compression type " + std::to_string(static_cast<int>(static_cast<uint8_t>(trailer[0]))));
  }
}

TableEntries block_entries(std::string_view contents, const std::string& what) {
  check(contents.size() >= 4, what + ": block of " + std::to_string(contents.size()) + " bytes has no restart count");
  size_t pos = contents.size() - 4;
  const uint32_t restarts = pb::read_fixed32(contents, pos, what);
  check(restarts <= (contents.size() - 4) / 4, what + ": block claims " + std::to_string(restarts) +
                                                   " restart points, more than fit in it");
  const size_t end = contents.size() - 4 - 4 * static_cast<size_t>(restarts);
  TableEntries out;
  std::vector<std::pair<size_t, bool>> starts;  // entry offset, shared == 0
  std::string key;
  const std::string_view entries = contents.substr(0, end);  // varints must not read into the restarts
  pos = 0;
  while (pos < end) {
    const size_t start = pos;
    const uint64_t shared = pb::read_varint(entries, pos, what);
    const uint64_t non_shared = pb::read_varint(entries, pos, what);
    const uint64_t value_size = pb::read_varint(entries, pos, what);
    check(shared <= key.size(), what + ": entry shares " + std::to_string(shared) + " bytes of a " +
                                    std::to_string(key.size()) + "-byte key");
    check(non_shared <= end - pos && value_size <= end - pos - non_shared, what + ": entry runs past the block");
    key.resize(static_cast<size_t>(shared));
    key.append(entries.substr(pos, static_cast<size_t>(non_shared)));
    pos += static_cast<size_t>(non_shared);
    check(out.empty() || out.back().first < key, what + ": keys out of order (corrupt block)");
    out.emplace_back(key, std::string(entries.substr(pos, static_cast<size_t>(value_size))));
    pos += static_cast<size_t>(value_size);
    starts.emplace_back(start, shared == 0);
  }
  // Each restart point must be the start of an entry that stores its whole key.
  for (uint32_t r = 0; r < restarts; ++r) {
    size_t rp = end + 4 * static_cast<size_t>(r);
    const uint32_t offset = pb::read_fixed32(contents, rp, what);
    const auto it = std::lower_bound(starts.begin(), starts.end(), std::pair<size_t, bool>{offset, false});
    // An empty block has one restart at 0 and no entries.
    check((it != starts.end() && it->first == offset && it->second) || (starts.empty() && offset == 0),
          what + ": restart point " + std::to_string(offset) + " is not the start of a full key");
  }
  return out;
}

TableEntries read_table(std::string_view file, const std::string& path) {
  const TableFooter footer = read_table_footer(file, path);
  const std::string index = read_table_block(file, footer.index, path, "index");
  TableEntries out;
  for (const auto& [separator, handle_bytes] : block_entries(index, path + ": index block")) {
    size_t pos = 0;
    const BlockHandle h = read_handle(handle_bytes, pos, path + ": index entry");
    check(pos == handle_bytes.size(), path + ": index entry '" + separator + "' is not a block handle");
    const std::string block = read_table_block(file, h, path, "data");
    for (auto& e : block_entries(block, path + ": data block at " + std::to_string(h.offset))) {
      check(e.first <= separator, path + ": key '" + e.first + "' lies beyond its index entry (corrupt)");
      check(out.empty() || out.back().first < e.first, path + ": keys out of order across blocks (corrupt)");
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace strata::import
