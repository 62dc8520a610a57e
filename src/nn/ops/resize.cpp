#include "nn/ops/resize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/checked.h"
#include "core/error.h"

namespace strata::nn {

int64_t ResizeShape::input_size() const { return checked_product({planes, h, w}); }
int64_t ResizeShape::output_size() const { return checked_product({planes, out_h, out_w}); }

void ResizeShape::validate() const {
  check(planes > 0 && h > 0 && w > 0 && out_h > 0 && out_w > 0,
        "resize_bilinear: need planes, h, w, out_h, out_w > 0");
  (void)input_size();
  (void)output_size();
}

int64_t ResizeAxis::max_count() const {
  int64_t m = 0;
  for (int64_t c : count) m = std::max(m, c);
  return m;
}

namespace {

// The float expressions below are TensorFlow's, in its order. This file is built for baseline
// x86-64 (no FMA), so the compiler cannot contract them and each operation rounds as there.

void push_span(ResizeAxis& a, int64_t first, const float* w, int64_t n) {
  // Exact zeros at the ends carry nothing (TensorFlow keeps them in its fixed-size spans).
  while (n > 0 && w[0] == 0.0f) ++first, ++w, --n;
  while (n > 0 && w[n - 1] == 0.0f) --n;
  a.first.push_back(n > 0 ? first : 0);
  a.count.push_back(n);
  a.offset.push_back(static_cast<int64_t>(a.weight.size()));
  a.weight.insert(a.weight.end(), w, w + n);
}

// ResizeBilinear, half_pixel_centers = true: compute_interpolation_weights with HalfPixelScaler
// (resize_bilinear_op.cc); scale = in / out from CalculateResizeScale (image_resizer_state.h).
void plain_axis(ResizeAxis& a, int64_t in, int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t i = 0; i < out; ++i) {
    const float p = (static_cast<float>(i) + 0.5f) * scale - 0.5f;
    const float pf = std::floor(p);
    const int64_t lower = std::max(static_cast<int64_t>(pf), int64_t{0});
    const int64_t upper = std::min(static_cast<int64_t>(std::ceil(p)), in - 1);
    const float lerp = p - pf;
    if (lower == upper) {
      const float one = 1.0f;  // a + (b - a) f with a == b is a
      push_span(a, lower, &one, 1);
    } else {
      const float w[2] = {1.0f - lerp, lerp};
      push_span(a, lower, w, 2);
    }
  }
}

// ScaleAndTranslate with the triangle kernel, antialias = true, translation 0: ComputeSpansCore
// (scale_and_translate_op.cc) with scale = out / in as image_ops_impl.py's resize passes it.
void antialias_axis(ResizeAxis& a, int64_t in, int64_t out) {
  const float scale = static_cast<float>(out) / static_cast<float>(in);
  const auto inv_scale = static_cast<float>(1.0 / static_cast<double>(scale));
  const float kernel_scale = std::max(inv_scale, 1.0f);  // the triangle's radius is 1
  const float one_over_kernel_scale = 1.0f / kernel_scale;
  std::vector<float> w;
  for (int64_t x = 0; x < out; ++x) {
    const float sample = (static_cast<float>(x) + 0.5f) * inv_scale;
    if (sample < 0.0f || sample > static_cast<float>(in)) {  // outside the source: an empty span
      push_span(a, 0, nullptr, 0);
      continue;
    }
    int64_t start = static_cast<int64_t>(std::ceil(sample - kernel_scale - 0.5f));
    int64_t end = static_cast<int64_t>(std::floor(sample + kernel_scale - 0.5f));
    start = std::clamp<int64_t>(start, 0, in - 1);
    end = std::clamp<int64_t>(end, 0, in - 1) + 1;
    w.clear();
    float total = 0.0f;
    for (int64_t j = start; j < end; ++j) {
      const float pos = std::fabs((static_cast<float>(j) + 0.5f - sample) * one_over_kernel_scale);
      const float v = pos < 1.0f ? 1.0f - pos : 0.0f;
      total += v;
      w.push_back(v);
    }
    if (std::fabs(total) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inv_total = 1.0f / total;
      for (float& v : w) v *= inv_total;
    } else {
      std::fill(w.begin(), w.end(), 0.0f);
    }
    push_span(a, start, w.data(), static_cast<int64_t>(w.size()));
  }
}

}  // namespace

ResizeAxis resize_axis(int64_t in, int64_t out, bool antialias) {
  check(in > 0 && out > 0, "resize_bilinear: need axis sizes > 0");
  ResizeAxis a;
  a.first.reserve(static_cast<size_t>(out));
  a.count.reserve(static_cast<size_t>(out));
  a.offset.reserve(static_cast<size_t>(out));
  if (antialias) antialias_axis(a, in, out);
  else plain_axis(a, in, out);
  return a;
}

ResizeAxis resize_axis_transpose(const ResizeAxis& axis, int64_t in) {
  check(in > 0, "resize_bilinear: need axis sizes > 0");
  const auto out = static_cast<int64_t>(axis.first.size());
  std::vector<int64_t> lo(static_cast<size_t>(in), out), hi(static_cast<size_t>(in), -1);
  for (int64_t i = 0; i < out; ++i)
    for (int64_t k = 0; k < axis.count[i]; ++k) {
      const int64_t j = axis.first[i] + k;
      check(j >= 0 && j < in, "resize_axis_transpose: a source outside the input");
      lo[j] = std::min(lo[j], i), hi[j] = std::max(hi[j], i);
    }
  ResizeAxis t;
  for (int64_t j = 0; j < in; ++j) {
    const int64_t n = hi[j] >= lo[j] ? hi[j] - lo[j] + 1 : 0;
    t.first.push_back(n > 0 ? lo[j] : 0);
    t.count.push_back(n);
    t.offset.push_back(static_cast<int64_t>(t.weight.size()));
    t.weight.resize(t.weight.size() + static_cast<size_t>(n), 0.0f);
  }
  for (int64_t i = 0; i < out; ++i)
    for (int64_t k = 0; k < axis.count[i]; ++k) {
      const int64_t j = axis.first[i] + k;
      t.weight[static_cast<size_t>(t.offset[j] + i - t.first[j])] = axis.weight[static_cast<size_t>(axis.offset[i] + k)];
    }
  return t;
}

void resize_bilinear_forward_reference(const ResizeShape& s, const float* x, float* y) {
  s.validate();
  const ResizeAxis ay = resize_axis(s.h, s.out_h, s.antialias), ax = resize_axis(s.w, s.out_w, s.antialias);
  for (int64_t p = 0; p < s.planes; ++p) {
    const float* xp = x + p * s.h * s.w;
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        double sum = 0.0;
        for (int64_t ky = 0; ky < ay.count[oy]; ++ky)
          for (int64_t kx = 0; kx < ax.count[ox]; ++kx)
            sum += static_cast<double>(ay.weight[ay.offset[oy] + ky]) * ax.weight[ax.offset[ox] + kx] *
                   xp[(ay.first[oy] + ky) * s.w + ax.first[ox] + kx];
        y[(p * s.out_h + oy) * s.out_w + ox] = static_cast<float>(sum);
      }
  }
}

void resize_bilinear_backward_reference(const ResizeShape& s, const float* dy, float* dx) {
  s.validate();
  const ResizeAxis ay = resize_axis(s.h, s.out_h, s.antialias), ax = resize_axis(s.w, s.out_w, s.antialias);
  std::vector<double> acc(static_cast<size_t>(s.h * s.w));
  for (int64_t p = 0; p < s.planes; ++p) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        const double g = dy[(p * s.out_h + oy) * s.out_w + ox];
        for (int64_t ky = 0; ky < ay.count[oy]; ++ky)
          for (int64_t kx = 0; kx < ax.count[ox]; ++kx)
            acc[static_cast<size_t>((ay.first[oy] + ky) * s.w + ax.first[ox] + kx)] +=
                static_cast<double>(ay.weight[ay.offset[oy] + ky]) * ax.weight[ax.offset[ox] + kx] * g;
      }
    std::transform(acc.begin(), acc.end(), dx + p * s.h * s.w, [](double v) { return static_cast<float>(v); });
  }
}

}  // namespace strata::nn
