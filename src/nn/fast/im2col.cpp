#include "nn/fast/im2col.h"

#include <algorithm>

#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {
// out[i] += in[i]; the restrict lets the compiler vectorise what col2im spends its time on.
STRATA_SIMD_CLONES void add_row(float* __restrict out, const float* __restrict in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += in[i];
}
}  // namespace

// Rows are contiguous in gx; for stride 1 the in-bounds run of each row is one memcpy.
void im2col(const Lowering& l, const float* image, float* col) { im2col_rows(l, image, col, 0, l.gh); }

void im2col_rows(const Lowering& l, const float* image, float* col, int64_t gy0, int64_t gy1) {
  const int64_t rows = gy1 - gy0;
  for (int64_t ci = 0; ci < l.c; ++ci)
    for (int64_t ky = 0; ky < l.k; ++ky)
      for (int64_t kx = 0; kx < l.k; ++kx) {
        float* out = col + ((ci * l.k + ky) * l.k + kx) * rows * l.gw;
        // gx in [lo, hi) has 0 <= gx * s - p + kx < w.
        const int64_t off = kx - l.pad;
        int64_t lo = off >= 0 ? 0 : (-off + l.stride - 1) / l.stride;
        int64_t hi = (l.w - off + l.stride - 1) / l.stride;
        lo = std::min(lo, l.gw);
        hi = std::clamp(hi, lo, l.gw);
        for (int64_t gy = gy0; gy < gy1; ++gy) {
          float* row = out + (gy - gy0) * l.gw;
          const int64_t iy = gy * l.stride - l.pad + ky;
          if (iy < 0 || iy >= l.h) {
            std::fill(row, row + l.gw, 0.0f);
            continue;
          }
          const float* in = image + (ci * l.h + iy) * l.w;
          std::fill(row, row + lo, 0.0f);
          if (l.stride == 1) {
            std::copy(in + lo + off, in + hi + off, row + lo);
          } else {
            for (int64_t gx = lo; gx < hi; ++gx) row[gx] = in[gx * l.stride + off];
          }
          std::fill(row + hi, row + l.gw, 0.0f);
        }
      }
}

void col2im(const Lowering& l, const float* col, float* image) {
  std::fill(image, image + l.c * l.h * l.w, 0.0f);
  col2im_rows_add(l, col, image, 0, l.gh);
}

void col2im_rows_add(const Lowering& l, const float* col, float* image, int64_t gy0, int64_t gy1) {
  const int64_t rows = gy1 - gy0;
  for (int64_t ci = 0; ci < l.c; ++ci)
    for (int64_t ky = 0; ky < l.k; ++ky)
      for (int64_t kx = 0; kx < l.k; ++kx) {
        const float* in = col + ((ci * l.k + ky) * l.k + kx) * rows * l.gw;
        const int64_t off = kx - l.pad;
        int64_t lo = off >= 0 ? 0 : (-off + l.stride - 1) / l.stride;
        int64_t hi = (l.w - off + l.stride - 1) / l.stride;
        lo = std::min(lo, l.gw);
        hi = std::clamp(hi, lo, l.gw);
        for (int64_t gy = gy0; gy < gy1; ++gy) {
          const int64_t iy = gy * l.stride - l.pad + ky;
          if (iy < 0 || iy >= l.h) continue;
          float* out = image + (ci * l.h + iy) * l.w;
          const float* row = in + (gy - gy0) * l.gw;
          if (l.stride == 1) {
            add_row(out + lo + off, row + lo, hi - lo);
          } else {
            for (int64_t gx = lo; gx < hi; ++gx) out[gx * l.stride + off] += row[gx];
          }
        }
      }
}

}  // namespace strata::nn::fast
