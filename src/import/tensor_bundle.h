#pragma once
// TensorFlow's tensor bundle (the `variables/` folder of a SavedModel, a TF2 checkpoint):
//   variables.index                  an SSTable (import/sstable.h) from tensor key to a serialised
//                                    BundleEntryProto; the entry under "" is the BundleHeaderProto
//   variables.data-SSSSS-of-NNNNN    the tensors' bytes, little-endian, at the entries' offsets
// BundleEntryProto: dtype = 1, shape = 2 (TensorShapeProto: dim = 2 {size = 1}), shard_id = 3,
// offset = 4, size = 5, crc32c = 6 (fixed32, masked CRC-32C of the tensor's bytes), slices = 7.
// BundleHeaderProto: num_shards = 1, endianness = 2 (0 little).
//
// A DT_STRING tensor is stored as (tensorflow/core/util/tensor_bundle/tensor_bundle.cc):
//   varint64 length of each string, a fixed32 masked CRC-32C of those lengths, the strings' bytes;
// and its entry's CRC covers each length as a little-endian uint32 (uint64 above 2^32-1) rather
// than the varint bytes, then the 4 checksum bytes, then the strings.
//
// The `_CHECKPOINTABLE_OBJECT_GRAPH` string tensor holds a TrackableObjectGraph: which object
// (model, layer, variable) owns which checkpoint key.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "import/binary_file.h"

namespace strata::import {

inline constexpr int kDtFloat = 1;
inline constexpr int kDtString = 7;
inline constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

struct BundleEntry {
  int dtype = 0;
  std::vector<int64_t> shape;
  int64_t shard_id = 0;
  int64_t offset = 0;
  int64_t size = 0;
  uint32_t crc32c = 0;  // masked
  bool sliced = false;  // a partitioned variable's slices: not supported
  int64_t elements() const;
};
// Error naming `what` when the bytes are not a BundleEntryProto with sane fields.
BundleEntry parse_bundle_entry(std::string_view bytes, const std::string& what);

struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct TrackableObjectGraph {
  struct Child {
    int64_t node_id = 0;
    std::string local_name;
  };
  struct Attribute {
    std::string name, full_name, checkpoint_key;
  };
  struct Node {
    std::vector<Child> children;
    std::vector<Attribute> attributes;
  };
  std::vector<Node> nodes;
  // The child of `node` called `name`, -1 when there is none.
  int64_t child(int64_t node, const std::string& name) const;
};
// Every child id is checked to name a node.
TrackableObjectGraph parse_object_graph(std::string_view bytes, const std::string& what);

class TensorBundle {
 public:
  // prefix: "<savedmodel>/variables/variables"; reads `prefix.index` whole and opens the shards
  // as they are needed.
  explicit TensorBundle(std::string prefix);
  ~TensorBundle();
  const std::string& index_path() const { return index_path_; }
  std::string data_path(int64_t shard) const;
  int64_t num_shards() const { return num_shards_; }
  const std::map<std::string, BundleEntry>& entries() const { return entries_; }
  const BundleEntry& entry(const std::string& key) const;  // Error naming the key when absent

  // The tensor's bytes with their CRC verified (Error naming the data file and the key).
  std::vector<float> read_floats(const std::string& key);
  std::vector<std::string> read_strings(const std::string& key);
  // Every DT_FLOAT tensor, by key.
  std::map<std::string, FloatTensor> read_all_floats();
  TrackableObjectGraph object_graph();

 private:
  std::string read_bytes(const std::string& key, const BundleEntry& e);
  std::string prefix_, index_path_;
  int64_t num_shards_ = 1;
  std::map<std::string, BundleEntry> entries_;
  std::map<int64_t, std::unique_ptr<BinaryFile>> shards_;
};

}  // namespace strata::import
