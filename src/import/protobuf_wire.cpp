#include "import/protobuf_wire.h"

#include "core/error.h"

namespace strata::import::pb {

uint64_t read_varint(std::string_view data, size_t& pos, const std::string& what) {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    check(pos < data.size(), what + ": truncated varint");
    const auto b = static_cast<uint8_t>(data[pos++]);
    // The tenth byte carries bit 63 only: anything more would not fit in 64 bits.
    check(i < 9 || b <= 1, what + ": varint longer than 64 bits");
    v |= static_cast<uint64_t>(b & 0x7fu) << (7 * i);
    if (b < 0x80) return v;
  }
  throw Error(what + ": varint longer than 64 bits");
}

uint32_t read_fixed32(std::string_view data, size_t& pos, const std::string& what) {
  check(pos <= data.size() && data.size() - pos >= 4, what + ": truncated fixed32");
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(data[pos + i])) << (8 * i);
  pos += 4;
  return v;
}

uint64_t read_fixed64(std::string_view data, size_t& pos, const std::string& what) {
  check(pos <= data.size() && data.size() - pos >= 8, what + ": truncated fixed64");
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(data[pos + i])) << (8 * i);
  pos += 8;
  return v;
}

bool Reader::next(Field& field) {
  if (pos_ >= data_.size()) return false;
  const uint64_t key = read_varint(data_, pos_, what_);
  const uint64_t number = key >> 3;
  check(number >= 1 && number <= 0x1fffffffu, what_ + ": bad field number " + std::to_string(number));
  field = Field{};
  field.number = static_cast<uint32_t>(number);
  switch (key & 7u) {
    case 0:
      field.type = WireType::varint;
      field.value = read_varint(data_, pos_, what_);
      break;
    case 1:
      field.type = WireType::fixed64;
      field.value = read_fixed64(data_, pos_, what_);
      break;
    case 5:
      field.type = WireType::fixed32;
      field.value = read_fixed32(data_, pos_, what_);
      break;
    case 2: {
      field.type = WireType::bytes;
      const uint64_t n = read_varint(data_, pos_, what_);
      // Compare against what is left, never pos + n (which could wrap).
      check(n <= data_.size() - pos_, what_ + ": field " + std::to_string(number) + " claims " + std::to_string(n) +
                                          " bytes, only " + std::to_string(data_.size() - pos_) + " left");
      field.bytes = data_.substr(pos_, static_cast<size_t>(n));
      pos_ += static_cast<size_t>(n);
      break;
    }
    default:  // 3 and 4 are the deprecated groups, 6 and 7 do not exist: none occur in TensorFlow's files
      throw Error(what_ + ": field " + std::to_string(number) + " has unsupported wire type " + std::to_string(key & 7u));
  }
  return true;
}

std::vector<Field> fields(std::string_view message, const std::string& what) {
  std::vector<Field> out;
  Reader r(message, what);
  Field f;
  while (r.next(f)) out.push_back(f);
  return out;
}

std::vector<std::string_view> bytes_fields(std::string_view message, uint32_t number, const std::string& what) {
  std::vector<std::string_view> out;
  Reader r(message, what);
  Field f;
  while (r.next(f)) {
    if (f.number != number) continue;
    check(f.type == WireType::bytes, what + ": field " + std::to_string(number) + " is not length-delimited");
    out.push_back(f.bytes);
  }
  return out;
}

uint64_t scalar_field(std::string_view message, uint32_t number, uint64_t fallback, const std::string& what) {
  uint64_t v = fallback;
  Reader r(message, what);
  Field f;
  while (r.next(f)) {
    if (f.number != number) continue;
    check(f.type != WireType::bytes, what + ": field " + std::to_string(number) + " is not a scalar");
    v = f.value;
  }
  return v;
}

std::string_view bytes_field(std::string_view message, uint32_t number, const std::string& what) {
  const auto all = bytes_fields(message, number, what);
  return all.empty() ? std::string_view() : all.back();
}

}  // namespace strata::import::pb
