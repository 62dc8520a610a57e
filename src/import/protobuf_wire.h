#pragma once
// A minimal reader of the protobuf wire format, enough to walk TensorFlow's SavedModel, tensor
// bundle entries and object graphs without libprotobuf or the .proto files: each message is a
// sequence of (field number, wire type, value). Every read is bounds-checked; a malformed byte
// string (truncated varint, length past the end, unknown wire type) is an Error naming `what`
// (the file and message being read), never a crash or an allocation: values are views into the
// caller's bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::import::pb {

enum class WireType : uint8_t { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType type = WireType::varint;
  uint64_t value = 0;      // varint, fixed64, fixed32
  std::string_view bytes;  // length-delimited: a string, bytes, a sub-message or a packed array
};

// Reads a base-128 varint (at most 10 bytes, the last holding at most 1 bit) at data[pos] and
// advances pos; Error "<what>: truncated varint" / "<what>: varint longer than 64 bits".
uint64_t read_varint(std::string_view data, size_t& pos, const std::string& what);
// Little-endian fixed-width values at data[pos], advancing pos.
uint32_t read_fixed32(std::string_view data, size_t& pos, const std::string& what);
uint64_t read_fixed64(std::string_view data, size_t& pos, const std::string& what);

// Iterates over the fields of one message.
class Reader {
 public:
  Reader(std::string_view message, std::string what) : data_(message), what_(std::move(what)) {}
  // The next field, or false at the end of the message.
  bool next(Field& field);
  const std::string& what() const { return what_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string what_;
};

// All fields of a message, in order (Error on malformed input).
std::vector<Field> fields(std::string_view message, const std::string& what);
// The length-delimited values of field `number` (sub-messages, strings), in order. Error when the
// field occurs with another wire type.
std::vector<std::string_view> bytes_fields(std::string_view message, uint32_t number, const std::string& what);
// The last value of a scalar (varint or fixed) field `number`, or `fallback` when absent (proto3
// default). Packed repeated scalars are not handled here.
uint64_t scalar_field(std::string_view message, uint32_t number, uint64_t fallback, const std::string& what);
// The last length-delimited value of field `number`, or empty when absent.
std::string_view bytes_field(std::string_view message, uint32_t number, const std::string& what);

}  // namespace strata::import::pb
