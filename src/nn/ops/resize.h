#pragma once
// Bilinear resize of planes [planes, h, w] -> [planes, out_h, out_w], any sizes (odd included),
// exactly as TensorFlow 2's tf.image.resize(method="bilinear") (checked against TensorFlow's
// resize_bilinear_op.cc, scale_and_translate_op.cc, sampling_kernels.h and image_ops_impl.py):
//  - antialias = false: ResizeBilinear with half-pixel centres. For output index i on an axis of
//    scale s = in / out (float), the source is p = (i + 0.5) s - 0.5 (float); the neighbours
//    max(floor(p), 0) and min(ceil(p), in - 1) are weighted 1 - f, f with f = p - floor(p). (The
//    same as floor(p), floor(p) + 1 clamped into [0, in - 1]: where ceil(p) = floor(p), f = 0.)
//  - antialias = true: ScaleAndTranslate with the triangle kernel, scale out / in and translation
//    0. The sample is p = (i + 0.5) s with s = 1 / (out / in) (in float, as TensorFlow inverts the
//    scale it is given; it can differ from in / out in the last bit); the kernel is widened by
//    r = max(s, 1) (downscaling blurs by the scale); sources j with j + 0.5 in [p - r, p + r] and
//    0 <= j < in get weight max(0, 1 - |j + 0.5 - p| / r), and the weights are renormalised to
//    sum to 1. Sources outside [0, in - 1] are dropped, not clamped onto the border pixel (the
//    renormalisation makes up for them). PyTorch's interpolate(mode="bilinear", antialias=True,
//    align_corners=False) gives the same weights to float rounding.
// resize_axis does TensorFlow's float arithmetic step for step: sample positions, spans and the
// antialiased weights are TensorFlow's bit for bit where both round every float operation (an
// FMA-contracting build of either would differ in the last bit). PyTorch rounds the positions
// otherwise (float scale, double arithmetic), so its weights differ by up to ~ulp(in), 3.5e-6 for
// 53 -> 26 (tests: ResizeAxis.MatchesPyTorchWeights). Two differences from TensorFlow
// that change nothing for finite inputs: weights that are exactly 0 at the ends of a span
// (TensorFlow keeps them) are dropped, and the plain mode's weights are 1 - f and f where
// TensorFlow computes a + (b - a) f; outputs agree to float rounding (TensorFlow sums in float).
// Both modes are separable: the weights of each axis are computed once, then rows, then columns.
// Backward is the transpose (sums each output gradient back into its sources), which is the
// forward of the transposed axes (resize_axis_transpose) from [out_h, out_w] to [h, w].
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
  int64_t max_count() const;  // the most sources an output reads
};
ResizeAxis resize_axis(int64_t in, int64_t out, bool antialias);
// The transpose of an axis whose forward reads `in` sources: entry j lists the outputs that read
// source j (first[j] .. first[j] + count[j] - 1, weight 0 for one in that range that does not)
// with their weights, so the backward is a gather. count[j] is 0 for a source no output reads.
ResizeAxis resize_axis_transpose(const ResizeAxis& axis, int64_t in);

void resize_bilinear_forward_reference(const ResizeShape& s, const float* x, float* y);
// Overwrites dx.
void resize_bilinear_backward_reference(const ResizeShape& s, const float* dy, float* dx);

}  // namespace strata::nn
