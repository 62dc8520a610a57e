// Bilinear resize (TensorFlow's, with and without antialias) and its backward. Contract:
// nn::resize_bilinear_forward_reference / resize_bilinear_backward_reference.
// NOT YET RUN ON A GPU: written and compiled on a machine without one; test_backend_ops's cuda_resize_*
// cases check it against the reference where a GPU is present.
//
// The axis weights (nn::resize_axis, the same function the reference uses) are computed on the
// host and copied into the backend's scratch. Forward: one thread per output, summing
// count_y x count_x taps. Backward: the same kernel over the transposed axes
// (nn::resize_axis_transpose, inverted on the host), one thread per input element gathering from
// the outputs that read it: no atomics, deterministic. Sums in float (the reference's are double;
// the weights sum to 1, so the difference is a few ulps).
#include <cstring>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

struct DeviceAxis {
  const int64_t* first;
  const int64_t* count;
  const int64_t* offset;
  const float* weight;
};

// planes of [in_h, in_w] -> planes of [out_h, out_w]; ay has out_h entries, ax out_w.
__global__ void resize_kernel(const float* x, float* y, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                              int64_t out_w, DeviceAxis ay, DeviceAxis ax) {
  const int64_t plane_out = out_h * out_w;
  for (int64_t o = first_index(); o < planes * plane_out; o += grid_stride()) {
    const int64_t p = o / plane_out, r = o % plane_out, oy = r / out_w, ox = r % out_w;
    const int64_t fy = ay.first[oy], cy = ay.count[oy], fx = ax.first[ox], cx = ax.count[ox];
    const float* wy = ay.weight + ay.offset[oy];
    const float* wx = ax.weight + ax.offset[ox];
    const float* xp = x + (p * in_h + fy) * in_w + fx;
    float sum = 0.0f;
    for (int64_t ky = 0; ky < cy; ++ky) {
      float row = 0.0f;
      for (int64_t kx = 0; kx < cx; ++kx) row = fmaf(wx[kx], xp[ky * in_w + kx], row);
      sum = fmaf(wy[ky], row, sum);
    }
    y[o] = sum;
  }
}

// The two axes packed into one block: the int64 arrays first (first, count, offset of the rows,
// then of the columns), then the weights (rows, columns).
class PackedAxes {
 public:
  PackedAxes(const nn::ResizeAxis& rows, const nn::ResizeAxis& cols) : rows_(rows), cols_(cols) {
    ints_ = 3 * (rows.first.size() + cols.first.size());
    bytes_ = ints_ * sizeof(int64_t) + (rows.weight.size() + cols.weight.size()) * sizeof(float);
    host_.resize(bytes_);
    char* at = host_.data();
    for (const nn::ResizeAxis* a : {&rows, &cols})
      for (const std::vector<int64_t>* v : {&a->first, &a->count, &a->offset}) {
        std::memcpy(at, v->data(), v->size() * sizeof(int64_t));
        at += v->size() * sizeof(int64_t);
      }
    for (const nn::ResizeAxis* a : {&rows, &cols}) {
      std::memcpy(at, a->weight.data(), a->weight.size() * sizeof(float));
      at += a->weight.size() * sizeof(float);
    }
  }
  // Copies the block into the backend's scratch (queued on the stream: kernels queued before that
  // still use the old contents first) and returns the two axes on the device.
  void upload(const Launch& ctx, DeviceAxis& rows, DeviceAxis& cols) const {
    char* d = static_cast<char*>(ctx.workspace->scratch(bytes_));
    // From pageable memory: the copy is staged before this returns, so host_ may go.
    STRATA_CUDA_CHECK(cudaMemcpyAsync(d, host_.data(), bytes_, cudaMemcpyHostToDevice, ctx.stream));
    const auto* ints = reinterpret_cast<const int64_t*>(d);
    const size_t nr = rows_.first.size(), nc = cols_.first.size();
    rows = {ints, ints + nr, ints + 2 * nr, nullptr};
    cols = {ints + 3 * nr, ints + 3 * nr + nc, ints + 3 * nr + 2 * nc, nullptr};
    const auto* weights = reinterpret_cast<const float*>(d + ints_ * sizeof(int64_t));
    rows.weight = weights;
    cols.weight = weights + rows_.weight.size();
  }

 private:
  const nn::ResizeAxis& rows_;
  const nn::ResizeAxis& cols_;
  size_t ints_ = 0, bytes_ = 0;
  std::vector<char> host_;
};

void run(const Launch& ctx, const nn::ResizeAxis& rows, const nn::ResizeAxis& cols, const float* in, float* out,
         int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
  const PackedAxes packed(rows, cols);
  DeviceAxis dr{}, dc{};
  packed.upload(ctx, dr, dc);
  const int64_t count = planes * out_h * out_w;
  STRATA_LAUNCH(resize_kernel, grid_for(count), kThreads, 0, ctx.stream,
                in, out, planes, in_h, in_w, out_h, out_w, dr, dc);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace

void resize_bilinear_forward(const Launch& ctx, const nn::ResizeShape& s, const float* x, float* y) {
  const nn::ResizeAxis rows = nn::resize_axis(s.h, s.out_h, s.antialias),
                       cols = nn::resize_axis(s.w, s.out_w, s.antialias);
  run(ctx, rows, cols, x, y, s.planes, s.h, s.w, s.out_h, s.out_w);
}

void resize_bilinear_backward(const Launch& ctx, const nn::ResizeShape& s, const float* dy, float* dx) {
  const nn::ResizeAxis rows = nn::resize_axis_transpose(nn::resize_axis(s.h, s.out_h, s.antialias), s.h),
                       cols = nn::resize_axis_transpose(nn::resize_axis(s.w, s.out_w, s.antialias), s.w);
  run(ctx, rows, cols, dy, dx, s.planes, s.out_h, s.out_w, s.h, s.w);
}

}  // namespace strata::cuda
