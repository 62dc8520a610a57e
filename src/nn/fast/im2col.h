#pragma once
// Lowering of one image for convolution as GEMM. With a k x k kernel, stride s and padding p,
// the image [c, h, w] and the grid of kernel positions [gh, gw]:
//   col[(ci * k + ky) * k + kx][gy * gw + gx] = image[ci][gy * s - p + ky][gx * s - p + kx] (0 outside)
// col2im is its adjoint: it adds every column entry back onto the image pixel it came from.
#include <cstdint>

namespace strata::nn::fast {

struct Lowering {
  int64_t c, h, w;  // image
  int64_t k, stride, pad;
  int64_t gh, gw;   // kernel positions
};

void im2col(const Lowering& l, const float* image, float* col);
// Only kernel-position rows [gy0, gy1): col is [c * k * k][(gy1 - gy0) * gw]. Convolutions
// lower a band of rows at a time so that the column matrix stays in cache.
void im2col_rows(const Lowering& l, const float* image, float* col, int64_t gy0, int64_t gy1);
void col2im(const Lowering& l, const float* col, float* image);  // overwrites image
// Adds the rows [gy0, gy1) of a banded column matrix onto the image (no zeroing).
void col2im_rows_add(const Lowering& l, const float* col, float* image, int64_t gy0, int64_t gy1);

}  // namespace strata::nn::fast
