#include "nn/fast/resize.h"

#include <algorithm>
#include <climits>

#include "core/error.h"
#include "nn/fast/simd.h"

namespace strata::nn::fast {
namespace {

// row[0, w) = sum_k weight[k] * x[(first + k) * w + ...]: contiguous rows, vectorised.
STRATA_SIMD_CLONES void combine_rows(const float* __restrict x, int64_t w, int64_t first, int64_t count,
                                     const float* __restrict weight, float* __restrict row) {
  const float* r = x + first * w;
  const float w0 = weight[0];
  for (int64_t i = 0; i < w; ++i) row[i] = w0 * r[i];
  for (int64_t k = 1; k < count; ++k) {
    const float wk = weight[k];
    const float* rk = r + k * w;
    for (int64_t i = 0; i < w; ++i) row[i] += wk * rk[i];
  }
}

// out[o] = sum_k weight[k][o] * row[first[o] + k]: a gather and a multiply-add per tap.
STRATA_SIMD_CLONES void resample_columns(const float* __restrict row, const int32_t* __restrict first,
                                         const float* __restrict weight, int64_t taps, int64_t n,
                                         float* __restrict out) {
  for (int64_t o = 0; o < n; ++o) out[o] = weight[o] * row[first[o]];
  for (int64_t k = 1; k < taps; ++k) {
    const float* wk = weight + k * n;
    const float* rk = row + k;
    for (int64_t o = 0; o < n; ++o) out[o] += wk[o] * rk[first[o]];
  }
}

}  // namespace

ResizePlan make_resize_plan(const ResizeShape& s, bool backward) {
  s.validate();
  check(s.w <= INT32_MAX && s.out_w <= INT32_MAX, "resize_bilinear: rows wider than 2^31 pixels");
  ResizeAxis rows = resize_axis(s.h, s.out_h, s.antialias), cols = resize_axis(s.w, s.out_w, s.antialias);
  ResizePlan p;
  if (backward) {
    rows = resize_axis_transpose(rows, s.h);
    cols = resize_axis_transpose(cols, s.w);
    p.in_h = s.out_h, p.in_w = s.out_w, p.out_h = s.h, p.out_w = s.w;
  } else {
    p.in_h = s.h, p.in_w = s.w, p.out_h = s.out_h, p.out_w = s.out_w;
  }
  // An output that reads nothing (count 0: not possible for these kernels, kept general) reads
  // source 0 with weight 0.
  for (int64_t i = 0; i < p.out_h; ++i)
    if (rows.count[i] == 0) {
      rows.first[i] = 0, rows.count[i] = 1, rows.offset[i] = static_cast<int64_t>(rows.weight.size());
      rows.weight.push_back(0.0f);
    }
  p.rows = std::move(rows);
  p.taps = std::max<int64_t>(1, cols.max_count());
  p.col_first.resize(static_cast<size_t>(p.out_w));
  p.col_weight.assign(static_cast<size_t>(p.taps * p.out_w), 0.0f);
  for (int64_t o = 0; o < p.out_w; ++o) {
    // Start early enough that all taps lie inside the row; the weights shift along.
    const int64_t first = std::min(cols.first[o], p.in_w - p.taps);
    p.col_first[o] = static_cast<int32_t>(first);
    for (int64_t k = 0; k < cols.count[o]; ++k)
      p.col_weight[static_cast<size_t>((cols.first[o] - first + k) * p.out_w + o)] = cols.weight[cols.offset[o] + k];
  }
  return p;
}

const ResizePlan& ResizePlans::get(const ResizeShape& s, bool backward) {
  for (const Entry& e : entries_)
    if (e.h == s.h && e.w == s.w && e.out_h == s.out_h && e.out_w == s.out_w && e.antialias == s.antialias &&
        e.backward == backward)
      return e.plan;
  entries_.push_back({s.h, s.w, s.out_h, s.out_w, s.antialias, backward, make_resize_plan(s, backward)});
  return entries_.back().plan;
}

void resize_planes(const ResizePlan& p, const float* x, float* y, int64_t planes, float* row) {
  const ResizeAxis& r = p.rows;
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xp = x + plane * p.in_h * p.in_w;
    float* yp = y + plane * p.out_h * p.out_w;
    for (int64_t oy = 0; oy < p.out_h; ++oy) {
      combine_rows(xp, p.in_w, r.first[oy], r.count[oy], r.weight.data() + r.offset[oy], row);
      resample_columns(row, p.col_first.data(), p.col_weight.data(), p.taps, p.out_w, yp + oy * p.out_w);
    }
  }
}

}  // namespace strata::nn::fast
