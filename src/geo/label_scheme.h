#pragma once
// A label scheme maps the codes of a label product (ESA WorldCover, ...) to Dynamic World's
// class indices. Schemes are tables in data/label-schemes/*.csv so users can change them.
// Codes the table maps to `ignore` become 255; codes the table does not list are an error
// naming the label file, because they mean the wrong scheme was chosen.
#include <array>
#include <cstdint>
#include <string>

namespace strata::geo {

class LabelScheme {
 public:
  // `name_or_path`: a built-in scheme ("worldcover", "identity") or a CSV file.
  static LabelScheme load(const std::string& name_or_path);
  static LabelScheme parse(const std::string& csv_text, const std::string& source);

  const std::string& source() const { return source_; }
  bool knows(uint8_t code) const { return known_[code]; }
  uint8_t map(uint8_t code) const { return lut_[code]; }
  // Maps n codes in place-safe fashion (in may equal out). Throws Error naming `label_path`,
  // the first unknown code and how many pixels carry unknown codes. Codes equal to `nodata`
  // (0..255; -1 for none) become 255 whether the table lists them or not.
  void apply(const uint8_t* in, uint8_t* out, int64_t n, const std::string& label_path, int nodata = -1) const;

 private:
  std::string source_;
  std::array<uint8_t, 256> lut_{};
  std::array<bool, 256> known_{};
};

// The folder of built-in tables: $STRATA_DATA_DIR when set, else the source tree's data/.
std::string data_dir();

}  // namespace strata::geo
