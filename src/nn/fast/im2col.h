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
void col2im(const Lowering& l, const float* col, float* image);  // overwrites image

}  // namespace strata::nn::fast
