#pragma once
// Concatenation along channels of any number of inputs x_i [n, c_i, hw] into y [n, sum c_i, hw],
// in the order given (the U-Net skip join, Dynamic World's tf.concat(axis=-1)); backward splits
// dy back into the dx_i (a null dx_i is not wanted and not written).
#include <cstdint>
#include <vector>

namespace strata::nn {

struct ConcatShape {
  int64_t n = 1, hw = 1;
  std::vector<int64_t> channels;  // c_i of each input
  int64_t total() const;          // sum c_i
  int64_t output_size() const;    // n * total * hw, overflow-checked
  void validate() const;          // Error unless at least one input and all sizes > 0
};

void concat_channels_forward_reference(const ConcatShape& s, const float* const* xs, float* y);
void concat_channels_backward_reference(const ConcatShape& s, const float* dy, float* const* dxs);

}  // namespace strata::nn
