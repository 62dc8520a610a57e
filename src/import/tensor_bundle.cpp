#include "import/tensor_bundle.h"

#include <cstdio>
#include <cstring>

#include "core/checked.h"
#include "core/error.h"
#include "import/crc32c.h"
#include "import/protobuf_wire.h"
#include "import/sstable.h"

namespace strata::import {
namespace {

// variables.index files are a few KB; refuse to slurp something that cannot be one.
constexpr int64_t kMaxIndexBytes = int64_t{256} << 20;

int64_t as_int64(uint64_t v, const std::string& what, const char* field) {
  check(v <= static_cast<uint64_t>(INT64_MAX), what + ": " + field + " out of range");
  return static_cast<int64_t>(v);
}

void put_le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

}  // namespace

int64_t BundleEntry::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n = checked_mul(n, d);
  return n;
}

BundleEntry parse_bundle_entry(std::string_view bytes, const std::string& what) {
  BundleEntry e;
  pb::Reader r(bytes, what);
  pb::Field f;
  while (r.next(f)) {
    const bool scalar = f.type != pb::WireType::bytes;
    switch (f.number) {
      case 1: check(scalar, what + ": dtype"); e.dtype = f.value > 1000 ? -1 : static_cast<int>(f.value); break;
      case 2: {
        check(!scalar, what + ": shape is not a message");
        e.shape.clear();
        for (std::string_view dim : pb::bytes_fields(f.bytes, 2, what + ": shape")) {
          const auto size = static_cast<int64_t>(pb::scalar_field(dim, 1, 0, what + ": shape"));
          check(size >= 0, what + ": negative dimension " + std::to_string(size));
          e.shape.push_back(size);
        }
        check(pb::scalar_field(f.bytes, 3, 0, what + ": shape") == 0, what + ": shape of unknown rank");
        break;
      }
      case 3: check(scalar, what + ": shard_id"); e.shard_id = as_int64(f.value, what, "shard_id"); break;
      case 4: check(scalar, what + ": offset"); e.offset = as_int64(f.value, what, "offset"); break;
      case 5: check(scalar, what + ": size"); e.size = as_int64(f.value, what, "size"); break;
      case 6: check(f.type == pb::WireType::fixed32, what + ": crc32c is not a fixed32"); e.crc32c = static_cast<uint32_t>(f.value); break;
      case 7: e.sliced = true; break;
      default: break;  // unknown fields are skipped, as protobuf does
    }
  }
  (void)e.elements();  // an overflowing shape is an Error here, not later
  return e;
}

int64_t TrackableObjectGraph::child(int64_t node, const std::string& name) const {
  if (node < 0 || node >= static_cast<int64_t>(nodes.size())) return -1;
  for (const Child& c : nodes[static_cast<size_t>(node)].children)
    if (c.local_name == name) return c.node_id;
  return -1;
}

TrackableObjectGraph parse_object_graph(std::string_view bytes, const std::string& what) {
  TrackableObjectGraph g;
  for (std::string_view node : pb::bytes_fields(bytes, 1, what)) {
    const std::string at = what + ": node " + std::to_string(g.nodes.size());
    TrackableObjectGraph::Node n;
    for (std::string_view ref : pb::bytes_fields(node, 1, at)) {
      TrackableObjectGraph::Child c;
      c.node_id = as_int64(pb::scalar_field(ref, 1, 0, at), at, "node_id");
      c.local_name = std::string(pb::bytes_field(ref, 2, at));
      n.children.push_back(std::move(c));
    }
    for (std::string_view attr : pb::bytes_fields(node, 2, at))
      n.attributes.push_back({std::string(pb::bytes_field(attr, 1, at)), std::string(pb::bytes_field(attr, 2, at)),
                              std::string(pb::bytes_field(attr, 3, at))});
    g.nodes.push_back(std::move(n));
  }
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& c : g.nodes[i].children)
      check(c.node_id < static_cast<int64_t>(g.nodes.size()),
            what + ": node " + std::to_string(i) + " has child " + std::to_string(c.node_id) + " of " +
                std::to_string(g.nodes.size()) + " nodes");
  return g;
}

TensorBundle::TensorBundle(std::string prefix) : prefix_(std::move(prefix)), index_path_(prefix_ + ".index") {
  const std::string file = read_whole_file(index_path_, kMaxIndexBytes);
  bool header = false;
  for (auto& [key, value] : read_table(file, index_path_)) {
    if (key.empty()) {  // BundleHeaderProto
      const std::string what = index_path_ + ": bundle header";
      const uint64_t shards = pb::scalar_field(value, 1, 1, what);
      check(shards >= 1 && shards <= 99999, what + ": " + std::to_string(shards) + " shards");
      num_shards_ = static_cast<int64_t>(shards);
      check(pb::scalar_field(value, 2, 0, what) == 0, what + ": big-endian bundles are not supported");
      header = true;
      continue;
    }
    BundleEntry e = parse_bundle_entry(value, index_path_ + ": entry '" + key + "'");
    check(e.shard_id >= 0 && e.shard_id < num_shards_,
          index_path_ + ": entry '" + key + "' is in shard " + std::to_string(e.shard_id) + " of " + std::to_string(num_shards_));
    entries_.emplace(key, std::move(e));
  }
  check(header, index_path_ + ": no bundle header (not a TensorFlow tensor bundle index)");
}

TensorBundle::~TensorBundle() = default;

std::string TensorBundle::data_path(int64_t shard) const {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".data-%05lld-of-%05lld", static_cast<long long>(shard),
                static_cast<long long>(num_shards_));
  return prefix_ + suffix;
}

const BundleEntry& TensorBundle::entry(const std::string& key) const {
  const auto it = entries_.find(key);
  check(it != entries_.end(), index_path_ + ": no tensor '" + key + "'");
  return it->second;
}

std::string TensorBundle::read_bytes(const std::string& key, const BundleEntry& e) {
  check(!e.sliced, index_path_ + ": tensor '" + key + "' is partitioned into slices, which is not supported");
  auto& file = shards_[e.shard_id];
  if (!file) file = std::make_unique<BinaryFile>(data_path(e.shard_id));
  return file->read(e.offset, e.size, "tensor '" + key + "'");
}

std::vector<float> TensorBundle::read_floats(const std::string& key) {
  const BundleEntry& e = entry(key);
  const std::string at = data_path(e.shard_id) + ": tensor '" + key + "'";
  check(e.dtype == kDtFloat, at + ": dtype " + std::to_string(e.dtype) + ", expected float32 (1)");
  const int64_t n = e.elements();
  check(checked_mul(n, 4) == e.size, at + ": " + std::to_string(e.size) + " bytes for " + std::to_string(n) + " floats");
  const std::string bytes = read_bytes(key, e);
  check(crc32c_unmask(e.crc32c) == crc32c(bytes), at + ": checksum mismatch (corrupt data file)");
  std::vector<float> out(static_cast<size_t>(n));
  for (size_t i = 0; i < out.size(); ++i) {  // little-endian on disk, whatever the host
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[4 * i + b])) << (8 * b);
    std::memcpy(&out[i], &u, 4);
  }
  return out;
}

std::vector<std::string> TensorBundle::read_strings(const std::string& key) {
  const BundleEntry& e = entry(key);
  const std::string at = data_path(e.shard_id) + ": tensor '" + key + "'";
  check(e.dtype == kDtString, at + ": dtype " + std::to_string(e.dtype) + ", expected string (7)");
  const int64_t n = e.elements();
  // Each string takes at least one length byte: a count beyond the size is corruption.
  check(n <= e.size, at + ": " + std::to_string(n) + " strings in " + std::to_string(e.size) + " bytes");
  const std::string bytes = read_bytes(key, e);
  std::vector<uint64_t> lengths(static_cast<size_t>(n));
  std::string crc_input;  // the lengths as TensorFlow checksums them
  size_t pos = 0;
  for (auto& len : lengths) {
    len = pb::read_varint(bytes, pos, at + ": string lengths");
    put_le(crc_input, len, len <= UINT32_MAX ? 4 : 8);
  }
  const size_t checksum_at = pos;
  const uint32_t length_crc = pb::read_fixed32(bytes, pos, at + ": string lengths");
  check(crc32c_unmask(length_crc) == crc32c(crc_input), at + ": string length checksum mismatch (corrupt data file)");
  uint32_t crc = crc32c_extend(crc32c(crc_input), std::string_view(bytes).substr(checksum_at, 4));
  std::vector<std::string> out;
  out.reserve(lengths.size());
  for (uint64_t len : lengths) {
    check(len <= bytes.size() - pos, at + ": strings run past the tensor's " + std::to_string(e.size) + " bytes");
    out.emplace_back(bytes, pos, static_cast<size_t>(len));
    crc = crc32c_extend(crc, out.back());
    pos += static_cast<size_t>(len);
  }
  check(pos == bytes.size(), at + ": " + std::to_string(bytes.size() - pos) + " stray bytes after the strings");
  check(crc32c_unmask(e.crc32c) == crc, at + ": checksum mismatch (corrupt data file)");
  return out;
}

std::map<std::string, FloatTensor> TensorBundle::read_all_floats() {
  std::map<std::string, FloatTensor> out;
  for (const auto& [key, e] : entries_)
    if (e.dtype == kDtFloat) out[key] = FloatTensor{e.shape, read_floats(key)};
  return out;
}

TrackableObjectGraph TensorBundle::object_graph() {
  const auto strings = read_strings(kObjectGraphKey);
  check(strings.size() == 1, index_path_ + ": " + kObjectGraphKey + " holds " + std::to_string(strings.size()) +
                                 " strings, expected 1");
  return parse_object_graph(strings[0], data_path(entry(kObjectGraphKey).shard_id) + ": object graph");
}

}  // namespace strata::import
