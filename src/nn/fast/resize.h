#pragma once
// The fast CPU path of the bilinear resize (contract: nn/ops/resize.h). Separable in float: for
// each output row, the rows it reads are combined into a row buffer (contiguous multiply-adds),
// then the columns are resampled from that buffer with the horizontal weights padded to `taps`
// per output (k-major, zero where an output reads fewer), so the inner loop over outputs is a
// gather and a multiply-add per tap, which the compiler vectorises. The backward is the same pass
// over the transposed axes (resize_axis_transpose): a gather from the output gradients into each
// input, no scatter. The reference sums in double; this path in float (weights sum to 1, so a
// few ulps).
#include <cstdint>
#include <deque>
#include <vector>

#include "nn/ops/resize.h"

namespace strata::nn::fast {

// One direction of one resize shape (planes aside), ready to run: [in_h, in_w] -> [out_h, out_w].
struct ResizePlan {
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  ResizeAxis rows;                   // vertical weights, sparse
  int64_t taps = 0;                  // horizontal weights per output, padded
  std::vector<int32_t> col_first;    // [out_w], col_first + taps <= in_w
  std::vector<float> col_weight;     // [taps][out_w]
};
// The forward plan of s, or with backward = true the plan of its backward (dy -> dx).
ResizePlan make_resize_plan(const ResizeShape& s, bool backward);

// Plans made once per shape and direction and kept (a network has a few resize shapes), so a
// step of a known shape allocates nothing.
class ResizePlans {
 public:
  const ResizePlan& get(const ResizeShape& s, bool backward);

 private:
  struct Entry {
    int64_t h, w, out_h, out_w;
    bool antialias, backward;
    ResizePlan plan;
  };
  std::deque<Entry> entries_;  // a deque: references stay valid as it grows
};

// planes planes of p.in_h x p.in_w at x -> planes of p.out_h x p.out_w at y. row: p.in_w floats.
void resize_planes(const ResizePlan& p, const float* x, float* y, int64_t planes, float* row);

}  // namespace strata::nn::fast
