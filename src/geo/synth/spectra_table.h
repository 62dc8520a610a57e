#pragma once
// The per-class Sentinel-2 spectra table (data/spectra/s2_class_spectra.csv): for each class and
// seasonal variant, the mean and within-class std of DN in all 13 bands. Read at run time so that
// the numbers live with their sources, not in code.
#include <array>
#include <string>
#include <vector>

namespace strata::geo::synth {

constexpr int kBands = 13;  // B1 B2 B3 B4 B5 B6 B7 B8 B8A B9 B10 B11 B12

struct Signature {
  std::string class_name;
  int class_id = -1;
  std::string variant;
  std::array<float, kBands> mean{};
  std::array<float, kBands> std{};
};

class SpectraTable {
 public:
  // Throws strata::Error naming the file and the line for anything malformed or missing.
  static SpectraTable load(const std::string& path);
  // The table shipped in the repository's data/ directory (compiled-in path).
  static std::string default_path();

  const std::vector<Signature>& rows() const { return rows_; }
  // Error when (class_name, variant) is not in the table.
  const Signature& get(const std::string& class_name, const std::string& variant) const;
  const std::string& path() const { return path_; }

 private:
  std::vector<Signature> rows_;
  std::string path_;
};

}  // namespace strata::geo::synth
