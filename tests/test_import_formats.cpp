// The readers under strata import-model on small hand-made byte strings: CRC-32C and its mask,
// SHA-256, the protobuf wire format, LevelDB tables, tensor bundle entries, string tensors and
// object graphs. Malformed input of every kind must give a strata::Error, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>

#include "core/error.h"
#include "import/crc32c.h"
#include "import/protobuf_wire.h"
#include "import/sha256.h"
#include "import/sstable.h"
#include "import/tensor_bundle.h"
#include "import_bytes.h"
#include "test_util.h"

namespace strata::import {
namespace {

using test::fixed32;
using test::pb_bytes;
using test::pb_fixed32;
using test::pb_varint;
using test::varint;

using test::error_of;

TEST(Crc32c, KnownValuesAndMask) {
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("123456789"), 0xe3069283u);  // the standard check value of CRC-32C
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8a9136aau);  // RFC 3720 B.4
  EXPECT_EQ(crc32c_extend(crc32c("1234"), "56789"), crc32c("123456789"));
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu}) EXPECT_EQ(crc32c_unmask(crc32c_mask(v)), v);
  EXPECT_EQ(crc32c_mask(0), 0xa282ead8u);
}

TEST(Sha256, KnownValues) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  test::TempDir dir;
  test::write_text(dir / "f", "abc");
  EXPECT_EQ(sha256_file(dir / "f"), sha256_hex("abc"));
  EXPECT_NE(error_of([&] { sha256_file(dir / "missing"); }).find("cannot open"), std::string::npos);
}

TEST(ProtobufWire, Varints) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300}, uint64_t{1} << 35, ~uint64_t{0}}) {
    const std::string b = varint(v);
    size_t pos = 0;
    EXPECT_EQ(pb::read_varint(b, pos, "t"), v);
    EXPECT_EQ(pos, b.size());
  }
  size_t pos = 0;
  EXPECT_EQ(error_of([&] { pb::read_varint("\x80\x80", pos, "msg"); }), "msg: truncated varint");
  pos = 0;
  EXPECT_EQ(error_of([&] { pb::read_varint("", pos, "msg"); }), "msg: truncated varint");
  pos = 0;  // 11 bytes, and 10 whose last byte carries more than bit 63
  EXPECT_EQ(error_of([&] { pb::read_varint(std::string(10, '\xff') + '\x01', pos, "msg"); }), "msg: varint longer than 64 bits");
  pos = 0;
  EXPECT_EQ(error_of([&] { pb::read_varint(std::string(9, '\xff') + '\x02', pos, "msg"); }), "msg: varint longer than 64 bits");
  pos = 0;
  EXPECT_EQ(error_of([&] { pb::read_fixed32("abc", pos, "msg"); }), "msg: truncated fixed32");
}

TEST(ProtobufWire, FieldsAndErrors) {
  const std::string sub = pb_varint(1, 7);
  const std::string msg = pb_varint(1, 150) + pb_bytes(2, "hello") + pb_fixed32(3, 0xdeadbeef) + pb_bytes(4, sub) +
                          pb_bytes(2, "again");
  const auto f = pb::fields(msg, "m");
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].number, 1u);
  EXPECT_EQ(f[0].value, 150u);
  EXPECT_EQ(f[1].bytes, "hello");
  EXPECT_EQ(f[2].type, pb::WireType::fixed32);
  EXPECT_EQ(f[2].value, 0xdeadbeefu);
  EXPECT_EQ(pb::scalar_field(pb::bytes_field(msg, 4, "m"), 1, 0, "m"), 7u);
  EXPECT_EQ(pb::bytes_field(msg, 2, "m"), "again");  // the last occurrence, as protobuf merges
  EXPECT_EQ(pb::bytes_fields(msg, 2, "m").size(), 2u);
  EXPECT_EQ(pb::scalar_field(msg, 9, 42, "m"), 42u);  // absent: the default
  EXPECT_TRUE(pb::bytes_field(msg, 9, "m").empty());

  // A length past the end, a huge length, a group, field number 0, the wrong wire type.
  EXPECT_EQ(error_of([] { pb::fields(varint((2 << 3) | 2) + varint(10) + "abc", "m"); }),
            "m: field 2 claims 10 bytes, only 3 left");
  EXPECT_NE(error_of([] { pb::fields(varint((2 << 3) | 2) + varint(~uint64_t{0}), "m"); }).find("claims"), std::string::npos);
  EXPECT_EQ(error_of([] { pb::fields(varint((5 << 3) | 3), "m"); }), "m: field 5 has unsupported wire type 3");
  EXPECT_EQ(error_of([] { pb::fields(varint(0), "m"); }), "m: bad field number 0");
  EXPECT_EQ(error_of([] { pb::bytes_fields(pb_varint(4, 1), 4, "m"); }), "m: field 4 is not length-delimited");
  EXPECT_EQ(error_of([] { pb::fields(pb_varint(1, 1) + "\x08", "m"); }), "m: truncated varint");
}

TEST(ProtobufWire, RandomBytesGiveValuesOrErrors) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string b(rng() % 40, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    try {
      for (const auto& f : pb::fields(b, "r"))
        if (f.type == pb::WireType::bytes) (void)pb::fields(f.bytes, "r");
    } catch (const Error&) {
    }
  }
}

TEST(SSTable, ReadsRawAndSnappyTablesWithPrefixCompression) {
  test::Entries entries;
  for (int i = 0; i < 300; ++i) {
    char key[64];
    std::snprintf(key, sizeof key, "variables/%04d/.ATTRIBUTES/VARIABLE_VALUE", i);
    entries.emplace_back(key, std::string(static_cast<size_t>(i % 7), static_cast<char>('a' + i % 26)));
  }
  for (bool snappy : {false, true}) {
    const std::string file = test::table_file(entries, snappy, 64, 5);
    EXPECT_EQ(read_table(file, "t.index"), entries) << "snappy " << snappy;
  }
  EXPECT_TRUE(read_table(test::table_file({}), "t.index").empty());
}

TEST(SSTable, CorruptTablesAreErrorsNamingTheFile) {
  const test::Entries entries = {{"a", "1"}, {"ab", "2"}, {"b", "3"}};
  const std::string good = test::table_file(entries);
  ASSERT_EQ(read_table(good, "x.index").size(), 3u);

  EXPECT_EQ(error_of([&] { read_table(good.substr(0, 20), "x.index"); }),
            "x.index: 20 bytes, too short for a table (its footer alone is 48; truncated?)");
  std::string bad_magic = good;
  bad_magic[bad_magic.size() - 1] ^= 1;
  EXPECT_EQ(error_of([&] { read_table(bad_magic, "x.index"); }),
            "x.index: bad table magic number (not a TensorFlow/LevelDB table, or truncated)");
  EXPECT_NE(error_of([&] { read_table(good.substr(10), "x.index"); }).find("x.index: "), std::string::npos);

  std::string flipped = good;  // a bit of the data block: its checksum no longer matches
  flipped[3] ^= 0x10;
  EXPECT_NE(error_of([&] { read_table(flipped, "x.index"); }).find("x.index: data block (") , std::string::npos);
  EXPECT_NE(error_of([&] { read_table(flipped, "x.index"); }).find("checksum mismatch"), std::string::npos);

  // Handles outside the file; a restart count larger than the block; a shared prefix longer than
  // the previous key; an unknown compression type.
  const auto with_footer = [&](uint64_t index_offset, uint64_t index_size) {
    std::string f = good.substr(0, good.size() - 48);
    std::string footer = test::block_handle(0, 0) + test::block_handle(index_offset, index_size);
    footer.resize(40, '\0');
    return f + footer + test::fixed64(kTableMagic);
  };
  EXPECT_NE(error_of([&] { read_table(with_footer(5, 1u << 30), "x.index"); }).find("lies outside the file"), std::string::npos);
  EXPECT_NE(error_of([&] { read_table(with_footer(~uint64_t{0} - 2, 10), "x.index"); }).find("lies outside the file"),
            std::string::npos);
  EXPECT_EQ(error_of([] { block_entries(std::string("\0\0\0", 3), "b"); }), "b: block of 3 bytes has no restart count");
  EXPECT_EQ(error_of([] { block_entries(fixed32(1000), "b"); }), "b: block claims 1000 restart points, more than fit in it");
  const std::string shared_too_long = varint(3) + varint(1) + varint(0) + "x" + fixed32(0) + fixed32(1);
  EXPECT_EQ(error_of([&] { block_entries(shared_too_long, "b"); }), "b: entry shares 3 bytes of a 0-byte key");
  const std::string past_end = varint(0) + varint(50) + varint(0) + "x" + fixed32(0) + fixed32(1);
  EXPECT_EQ(error_of([&] { block_entries(past_end, "b"); }), "b: entry runs past the block");
  const std::string bad_restart = varint(0) + varint(1) + varint(0) + "x" + fixed32(1) + fixed32(1);
  EXPECT_EQ(error_of([&] { block_entries(bad_restart, "b"); }), "b: restart point 1 is not the start of a full key");
  const std::string unsorted = test::table_block({{"b", ""}, {"a", ""}});
  EXPECT_EQ(error_of([&] { block_entries(unsorted, "b"); }), "b: keys out of order (corrupt block)");

  const std::string block = test::with_trailer(test::table_block(entries), 2);
  EXPECT_NE(error_of([&] { read_table_block(block + std::string(48, '\0'), {0, block.size() - 5}, "x.index", "data"); })
                .find("unknown compression type 2"),
            std::string::npos);
  const std::string bad_snappy = test::with_trailer(varint(1u << 30) + "abc", 1);
  EXPECT_NE(error_of([&] { read_table_block(bad_snappy + std::string(48, '\0'), {0, bad_snappy.size() - 5}, "x.index", "data"); })
                .find("invalid Snappy data"),
            std::string::npos);
}

TEST(SSTable, RandomCorruptionGivesValuesOrErrors) {
  test::Entries entries;
  for (int i = 0; i < 50; ++i) entries.emplace_back("key" + std::to_string(1000 + i), std::string(static_cast<size_t>(i), 'v'));
  std::mt19937_64 rng(11);
  for (bool snappy : {false, true}) {
    const std::string good = test::table_file(entries, snappy, 16, 4);
    for (int i = 0; i < 3000; ++i) {
      std::string f = good;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<char>(rng());
      if (rng() % 4 == 0) f.resize(rng() % f.size());
      try {
        (void)read_table(f, "r.index");
      } catch (const Error&) {
      }
    }
  }
}

std::string shape_proto(const std::vector<int64_t>& dims) {
  std::string s;
  for (int64_t d : dims) s += pb_bytes(2, pb_varint(1, static_cast<uint64_t>(d)));
  return s;
}

std::string entry_proto(int dtype, const std::vector<int64_t>& dims, uint64_t offset, uint64_t size, uint32_t crc) {
  return pb_varint(1, static_cast<uint64_t>(dtype)) + pb_bytes(2, shape_proto(dims)) + pb_varint(4, offset) +
         pb_varint(5, size) + pb_fixed32(6, crc);
}

TEST(TensorBundle, EntryProto) {
  const BundleEntry e = parse_bundle_entry(entry_proto(1, {3, 3, 9, 64}, 128, 20736, 0x12345678u), "e");
  EXPECT_EQ(e.dtype, 1);
  EXPECT_EQ(e.shape, (std::vector<int64_t>{3, 3, 9, 64}));
  EXPECT_EQ(e.offset, 128);
  EXPECT_EQ(e.size, 20736);
  EXPECT_EQ(e.crc32c, 0x12345678u);
  EXPECT_EQ(e.elements(), 5184);
  EXPECT_EQ(parse_bundle_entry(pb_varint(1, 1), "e").elements(), 1);  // a scalar
  EXPECT_EQ(error_of([] { parse_bundle_entry(entry_proto(1, {-1}, 0, 0, 0), "e"); }), "e: negative dimension -1");
  EXPECT_NE(error_of([] { parse_bundle_entry(entry_proto(1, {int64_t{1} << 40, int64_t{1} << 40}, 0, 0, 0), "e"); })
                .find("size overflow"),
            std::string::npos);
  EXPECT_EQ(error_of([] { parse_bundle_entry(pb_varint(6, 5), "e"); }), "e: crc32c is not a fixed32");
  EXPECT_EQ(error_of([] { parse_bundle_entry(pb_varint(4, ~uint64_t{0}), "e"); }), "e: offset out of range");
}

// A bundle on disk: floats "w" [2, 3] and a string tensor (the object graph), as TensorFlow
// writes them.
struct BundleFiles {
  test::TempDir dir;
  std::string prefix = dir / "variables";
  std::string data;
  test::Entries index;

  void add_floats(const std::string& key, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    std::string bytes(v.size() * 4, '\0');
    std::memcpy(bytes.data(), v.data(), bytes.size());
    index.emplace_back(key, entry_proto(1, dims, data.size(), bytes.size(), crc32c_mask(crc32c(bytes))));
    data += bytes;
  }
  void add_strings(const std::string& key, const std::vector<std::string>& strings) {
    std::string lengths, crc_lengths, bytes;
    for (const auto& s : strings) {
      lengths += varint(s.size());
      crc_lengths += fixed32(static_cast<uint32_t>(s.size()));
    }
    const std::string length_crc = fixed32(crc32c_mask(crc32c(crc_lengths)));
    uint32_t crc = crc32c_extend(crc32c(crc_lengths), length_crc);
    for (const auto& s : strings) {
      bytes += s;
      crc = crc32c_extend(crc, s);
    }
    const std::string all = lengths + length_crc + bytes;
    const std::string dims = strings.size() == 1 ? "" : shape_proto({static_cast<int64_t>(strings.size())});
    index.emplace_back(key, pb_varint(1, 7) + pb_bytes(2, dims) + pb_varint(4, data.size()) + pb_varint(5, all.size()) +
                                pb_fixed32(6, crc32c_mask(crc)));
    data += all;
  }
  void write() {
    test::Entries sorted = index;
    sorted.emplace_back("", pb_varint(1, 1));  // BundleHeaderProto: one shard
    std::sort(sorted.begin(), sorted.end());
    std::ofstream(prefix + ".index", std::ios::binary) << test::table_file(sorted, true);
    std::ofstream(prefix + ".data-00000-of-00001", std::ios::binary) << data;
  }
};

std::string object_graph_proto() {
  // node 0: children layer-0 -> 1; node 1: child kernel -> 2; node 2: attribute VARIABLE_VALUE -> "w"
  const std::string ref = pb_varint(1, 1) + pb_bytes(2, "layer-0");
  const std::string ref2 = pb_varint(1, 2) + pb_bytes(2, "kernel");
  const std::string attr = pb_bytes(1, "VARIABLE_VALUE") + pb_bytes(2, "conv/kernel") + pb_bytes(3, "w");
  return pb_bytes(1, pb_bytes(1, ref)) + pb_bytes(1, pb_bytes(1, ref2)) + pb_bytes(1, pb_bytes(2, attr));
}

TEST(TensorBundle, ReadsFloatsStringsAndTheObjectGraph) {
  BundleFiles b;
  b.add_floats("w", {2, 3}, {1, 2, 3, 4, 5, 6.5f});
  b.add_strings(kObjectGraphKey, {object_graph_proto()});
  b.add_strings("strings", {"ab", "", "cde"});
  b.write();
  TensorBundle bundle(b.prefix);
  EXPECT_EQ(bundle.entries().size(), 3u);
  EXPECT_EQ(bundle.read_floats("w"), (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
  EXPECT_EQ(bundle.read_strings("strings"), (std::vector<std::string>{"ab", "", "cde"}));
  const auto all = bundle.read_all_floats();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.at("w").shape, (std::vector<int64_t>{2, 3}));
  const TrackableObjectGraph g = bundle.object_graph();
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.child(0, "layer-0"), 1);
  EXPECT_EQ(g.child(1, "kernel"), 2);
  EXPECT_EQ(g.child(1, "bias"), -1);
  EXPECT_EQ(g.nodes[2].attributes.at(0).checkpoint_key, "w");
  EXPECT_EQ(g.nodes[2].attributes.at(0).full_name, "conv/kernel");
  EXPECT_NE(error_of([&] { bundle.read_floats("nothing"); }).find("no tensor 'nothing'"), std::string::npos);
  EXPECT_NE(error_of([&] { bundle.read_floats("strings"); }).find("expected float32"), std::string::npos);
}

TEST(TensorBundle, CorruptDataIsAnErrorNamingTheTensor) {
  BundleFiles b;
  b.add_floats("w", {2, 3}, {1, 2, 3, 4, 5, 6});
  b.add_strings("s", {"hello", "world"});
  b.write();
  const std::string data_path = b.prefix + ".data-00000-of-00001";
  {
    std::string flipped = b.data;
    flipped[5] ^= 4;  // inside "w"
    flipped[24 + 2 + 4 + 1] ^= 1;  // inside the bytes of "s" (after 2 length bytes and the length checksum)
    std::ofstream(data_path, std::ios::binary) << flipped;
    TensorBundle bundle(b.prefix);
    EXPECT_EQ(error_of([&] { bundle.read_floats("w"); }), data_path + ": tensor 'w': checksum mismatch (corrupt data file)");
    EXPECT_EQ(error_of([&] { bundle.read_strings("s"); }), data_path + ": tensor 's': checksum mismatch (corrupt data file)");
  }
  {
    std::string flipped = b.data;
    flipped[24] = 9;  // the first string's length: the length checksum catches it
    std::ofstream(data_path, std::ios::binary) << flipped;
    TensorBundle bundle(b.prefix);
    EXPECT_EQ(error_of([&] { bundle.read_strings("s"); }),
              data_path + ": tensor 's': string length checksum mismatch (corrupt data file)");
  }
  {
    std::ofstream(data_path, std::ios::binary) << b.data.substr(0, 20);  // truncated
    TensorBundle bundle(b.prefix);
    EXPECT_EQ(error_of([&] { bundle.read_floats("w"); }),
              data_path + ": tensor 'w': 24 bytes at offset 0 lie outside the file (20 bytes; truncated or corrupt?)");
  }
  std::filesystem::remove(data_path);
  TensorBundle bundle(b.prefix);
  EXPECT_EQ(error_of([&] { bundle.read_floats("w"); }), data_path + ": no such file");
  std::filesystem::remove(b.prefix + ".index");
  EXPECT_EQ(error_of([&] { TensorBundle again(b.prefix); }), b.prefix + ".index: no such file");
}

TEST(TensorBundle, ObjectGraphChildrenMustNameNodes) {
  const std::string bad = pb_bytes(1, pb_bytes(1, pb_varint(1, 5) + pb_bytes(2, "x")));
  EXPECT_EQ(error_of([&] { parse_object_graph(bad, "g"); }), "g: node 0 has child 5 of 1 nodes");
  std::mt19937_64 rng(3);
  const std::string good = object_graph_proto();
  for (int i = 0; i < 5000; ++i) {
    std::string f = good;
    f[rng() % f.size()] = static_cast<char>(rng());
    try {
      (void)parse_object_graph(f, "g");
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace strata::import
