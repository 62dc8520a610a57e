#pragma once
// `strata labels`: a label product (ESA WorldCover, ...) mapped through a label scheme into
// Dynamic World's 9 classes, written as a COG with the Dynamic World palette.
#include <array>
#include <cstdint>
#include <string>

#include "core/classes.h"

namespace strata::pipeline {

struct LabelsOptions {
  std::string input, output, scheme = "worldcover";
};

struct LabelsResult {
  std::array<int64_t, kNumClasses> class_pixels{};
  int64_t ignored_pixels = 0;
};

LabelsResult convert_labels(const LabelsOptions& options);

}  // namespace strata::pipeline
