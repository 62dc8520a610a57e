#pragma once
// Bilinear resize of planes [planes, h, w] -> [planes, out_h, out_w], any sizes (odd included),
// exactly as TensorFlow 2's tf.image.resize(method="bilinear"):
//  - antialias = false: ResizeBilinear with half-pixel centres. For output index i on an axis of
//    scale s = in / out, the source is p = (i + 0.5) s - 0.5; the two neighbours floor(p) and
//    floor(p) + 1 are clamped into [0, in - 1] and weighted 1 - f, f with f = p - floor(p).
//  - antialias = true: ScaleAndTranslate with the triangle kernel. The sample is
//    p = (i + 0.5) s; the kernel is widened by r = max(s, 1) (downscaling blurs by the scale);
//    sources j with j + 0.5 in [p - r, p + r], clamped into [0, in - 1], get weight
//    max(0, 1 - |j + 0.5 - p| / r), and the weights are renormalised to sum to 1 (which is what
//    happens at the borders). PyTorch's interpolate(mode="bilinear", antialias=True,
//    align_corners=False) gives the same weights.
// Both are separable: the weights of each axis are computed once, then rows, then columns.
// Backward is the transpose (sums each output gradient back into its sources).
#include <cstdint>
#include <vector>

namespace strata::nn {

struct ResizeShape {
  int64_t planes = 1, h = 1, w = 1, out_h = 1, out_w = 1;
  bool antialias = false;
  int64_t input_size() const;   // planes * h * w, overflow-checked
  int64_t output_size() const;  // planes * out_h * out_w
  void validate() const;        // Error unless all sizes > 0
};

// One axis of the resize: output i reads sources first[i] .. first[i] + count[i] - 1 with
// weights weight[offset[i] ...]. Shared by the reference, the fast path and the CUDA kernel.
struct ResizeAxis {
  std::vector<int64_t> first, count, offset;
  std::vector<float> weight;
};
ResizeAxis resize_axis(int64_t in, int64_t out, bool antialias);

void resize_bilinear_forward_reference(const ResizeShape& s, const float* x, float* y);
// Overwrites dx.
void resize_bilinear_backward_reference(const ResizeShape& s, const float* dy, float* dx);

}  // namespace strata::nn
