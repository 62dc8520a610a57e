// Finite-difference checks of every op's backward reference: for L = sum(y * r) with a fixed
// random r, the backward given dy = r must agree with (L(x + h) - L(x - h)) / 2h for each
// input. The references are the specification the fast and CUDA paths are tested against,
// so they are the ones checked here.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "nn/ops/batch_norm.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/conv_transpose2d.h"
#include "nn/ops/cross_entropy.h"
#include "nn/ops/depthwise_conv2d.h"
#include "nn/ops/l2_normalize.h"
#include "nn/ops/max_pool.h"
#include "nn/ops/mish.h"
#include "nn/ops/relu.h"
#include "nn/ops/resize.h"
#include "nn/ops/upsample.h"
#include "op_test_util.h"

namespace strata::nn {
// gtest prints parameters with these (found by argument-dependent lookup).
void PrintTo(const Conv2dShape& s, std::ostream* os) { *os << "Conv2dShape{n " << s.n << ", c_in " << s.c_in << ", " << s.h << "x" << s.w << ", c_out " << s.c_out << ", k " << s.k << ", stride " << s.stride << "}"; }
void PrintTo(const ConvTranspose2dShape& s, std::ostream* os) { *os << "ConvTranspose2dShape{n " << s.n << ", c_in " << s.c_in << ", " << s.h << "x" << s.w << ", c_out " << s.c_out << ", k " << s.k << ", stride " << s.stride << ", pad " << s.pad << "}"; }
void PrintTo(const DepthwiseConv2dShape& s, std::ostream* os) { *os << "DepthwiseConv2dShape{n " << s.n << ", c " << s.c << ", " << s.h << "x" << s.w << ", k " << s.k << "}"; }

namespace {

using test::random_floats;
using F = std::vector<float>;

// The scalar L as a function of the current contents of the inputs.
using Objective = std::function<double()>;

double dot(const F& y, const F& r) {
  double s = 0.0;
  for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[i];
  return s;
}

// Compares analytic[i] with the central difference of L in x[i] for up to 60 indices.
void expect_gradient(const char* what, F& x, const F& analytic, const Objective& L, float h = 1e-2f,
                     double tol = 3e-3) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  const size_t step = std::max<size_t>(1, x.size() / 60);
  int checked = 0;
  for (size_t i = 0; i < x.size(); i += step) {
    const float keep = x[i];
    x[i] = keep + h;
    const double up = L();
    x[i] = keep - h;
    const double down = L();
    x[i] = keep;
    const double numeric = (up - down) / (2.0 * static_cast<double>(h));
    EXPECT_NEAR(analytic[i], numeric, tol * std::max(1.0, std::fabs(numeric))) << what << "[" << i << "]";
    ++checked;
  }
  EXPECT_GT(checked, 0) << what;
}

template <class Shape>
std::string shape_name(const Shape& s) {
  std::ostringstream o;
  o << "n" << s.n << "_c" << s.c_in << "_" << s.h << "x" << s.w << "_to" << s.c_out << "_k" << s.k << "_s" << s.stride;
  if constexpr (requires { s.pad + 0; }) o << "_p" << s.pad;
  return o.str();
}

class Conv2dGrad : public ::testing::TestWithParam<Conv2dShape> {};

TEST_P(Conv2dGrad, MatchesFiniteDifferences) {
  const Conv2dShape s = GetParam();
  F x = random_floats(s.input_size(), 1), w = random_floats(s.weight_size(), 2), b = random_floats(s.c_out, 3);
  const F r = random_floats(s.output_size(), 4);
  F y(r.size()), gx(x.size()), gw(w.size()), gb(b.size());
  const Objective L = [&] {
    conv2d_forward_reference(s, x.data(), w.data(), b.data(), y.data());
    return dot(y, r);
  };
  conv2d_backward_reference(s, x.data(), w.data(), r.data(), gx.data(), gw.data(), gb.data());
  expect_gradient("dx", x, gx, L);
  expect_gradient("dw", w, gw, L);
  expect_gradient("db", b, gb, L);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Conv2dGrad,
                         ::testing::Values(Conv2dShape{2, 3, 6, 5, 4, 3, 1}, Conv2dShape{1, 3, 7, 6, 2, 3, 2},
                                           Conv2dShape{1, 2, 6, 6, 3, 5, 1}, Conv2dShape{2, 4, 3, 4, 3, 1, 1}),
                         [](const auto& info) { return shape_name(info.param); });

class ConvTranspose2dGrad : public ::testing::TestWithParam<ConvTranspose2dShape> {};

TEST_P(ConvTranspose2dGrad, MatchesFiniteDifferences) {
  const ConvTranspose2dShape s = GetParam();
  F x = random_floats(s.input_size(), 1), w = random_floats(s.weight_size(), 2), b = random_floats(s.c_out, 3);
  const F r = random_floats(s.output_size(), 4);
  F y(r.size()), gx(x.size()), gw(w.size()), gb(b.size());
  const Objective L = [&] {
    conv_transpose2d_forward_reference(s, x.data(), w.data(), b.data(), y.data());
    return dot(y, r);
  };
  conv_transpose2d_backward_reference(s, x.data(), w.data(), r.data(), gx.data(), gw.data(), gb.data());
  expect_gradient("dx", x, gx, L);
  expect_gradient("dw", w, gw, L);
  expect_gradient("db", b, gb, L);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvTranspose2dGrad,
                         ::testing::Values(ConvTranspose2dShape{2, 3, 4, 5, 2, 5, 1, 2},
                                           ConvTranspose2dShape{1, 4, 3, 3, 3, 2, 2, 0},
                                           ConvTranspose2dShape{1, 2, 3, 4, 2, 3, 2, 1}),
                         [](const auto& info) { return shape_name(info.param); });

class BatchNormGrad : public ::testing::TestWithParam<bool> {};

TEST_P(BatchNormGrad, TrainingForwardMatchesFiniteDifferences) {
  const BatchNormShape s{3, 4, 10, 1e-5f, 0.1f, GetParam()};
  F x = random_floats(s.size(), 1, -2.0f, 2.0f), gamma = random_floats(s.c, 2, 0.5f, 1.5f), beta = random_floats(s.c, 3);
  const F r = random_floats(s.size(), 4);
  F y(x.size()), mean(4), invstd(4), rm(4), rv(4, 1.0f), gx(x.size()), gg(4), gbeta(4);
  if (s.relu) {
    // Finite differences break where a step crosses the ReLU's kink: move every input whose
    // normalised value lies within 0.05 of zero away from it (gamma > 0, so up is up).
    BatchNormShape plain = s;
    plain.relu = false;
    for (int round = 0; round < 20; ++round) {
      batch_norm_forward_train_reference(plain, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), y.data(),
                                         mean.data(), invstd.data());
      bool moved = false;
      for (size_t i = 0; i < x.size(); ++i)
        if (std::fabs(y[i]) < 0.05f) x[i] += y[i] >= 0.0f ? 0.1f : -0.1f, moved = true;
      if (!moved) break;
      ASSERT_LT(round, 19) << "inputs still within 0.05 of the ReLU's kink";
    }
  }
  const Objective L = [&] {
    batch_norm_forward_train_reference(s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), y.data(),
                                       mean.data(), invstd.data());
    return dot(y, r);
  };
  L();
  batch_norm_backward_reference(s, x.data(), y.data(), gamma.data(), mean.data(), invstd.data(), r.data(), gx.data(),
                                gg.data(), gbeta.data());
  if (s.relu) {
    int zeros = 0;
    for (float v : y) zeros += v == 0.0f;
    ASSERT_GT(zeros, 0) << "the ReLU must cut something for the case to test its mask";
  }
  expect_gradient("dx", x, gx, L, 1e-2f, 5e-3);
  expect_gradient("dgamma", gamma, gg, L);
  expect_gradient("dbeta", beta, gbeta, L);
}
INSTANTIATE_TEST_SUITE_P(Relu, BatchNormGrad, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "WithRelu" : "Plain"; });

TEST(ReluGrad, MatchesFiniteDifferencesAwayFromTheKink) {
  F x = random_floats(200, 1);
  for (float& v : x) v += v >= 0.0f ? 0.05f : -0.05f;  // keep x +- h on one side of 0
  const F r = random_floats(200, 2);
  F y(200), gx(200);
  const Objective L = [&] {
    relu_forward_reference(x.data(), y.data(), 200);
    return dot(y, r);
  };
  L();
  relu_backward_reference(y.data(), r.data(), gx.data(), 200);
  expect_gradient("dx", x, gx, L);
}

TEST(MaxPoolGrad, MatchesFiniteDifferencesWithDistinctValues) {
  const PoolShape s{2, 2, 6, 5};
  F x(static_cast<size_t>(s.input_size()));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % x.size()) * 0.1f;  // gaps of 0.1 > 2h
  const F r = random_floats(s.output_size(), 2);
  F y(r.size()), gx(x.size());
  const Objective L = [&] {
    max_pool2x2_forward_reference(s, x.data(), y.data());
    return dot(y, r);
  };
  max_pool2x2_backward_reference(s, x.data(), r.data(), gx.data());
  expect_gradient("dx", x, gx, L);
}

TEST(ConcatGrad, MatchesFiniteDifferences) {
  F a = random_floats(2 * 3 * 5, 1), b = random_floats(2 * 2 * 5, 2);
  const F r = random_floats(2 * 5 * 5, 3);
  F y(r.size()), ga(a.size()), gb(b.size());
  const ConcatShape s{2, 5, {3, 2}};
  const Objective L = [&] {
    const float* xs[] = {a.data(), b.data()};
    concat_channels_forward_reference(s, xs, y.data());
    return dot(y, r);
  };
  float* gs[] = {ga.data(), gb.data()};
  concat_channels_backward_reference(s, r.data(), gs);
  expect_gradient("da", a, ga, L);
  expect_gradient("db", b, gb, L);
}

TEST(UpsampleGrad, MatchesFiniteDifferences) {
  F x = random_floats(3 * 4 * 5, 1);
  const F r = random_floats(3 * 8 * 10, 2);
  F y(r.size()), gx(x.size());
  const Objective L = [&] {
    upsample2x_forward_reference(x.data(), y.data(), 3, 4, 5);
    return dot(y, r);
  };
  upsample2x_backward_reference(r.data(), gx.data(), 3, 4, 5);
  expect_gradient("dx", x, gx, L);
}

// Bilinear resize is linear, so its finite differences are exact up to rounding; odd sizes both
// ways, with and without antialias.
class ResizeGrad : public ::testing::TestWithParam<ResizeShape> {};

TEST_P(ResizeGrad, MatchesFiniteDifferences) {
  const ResizeShape s = GetParam();
  F x = random_floats(s.input_size(), 1);
  const F r = random_floats(s.output_size(), 2);
  F y(r.size()), gx(x.size());
  const Objective L = [&] {
    resize_bilinear_forward_reference(s, x.data(), y.data());
    return dot(y, r);
  };
  resize_bilinear_backward_reference(s, r.data(), gx.data());
  expect_gradient("dx", x, gx, L);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ResizeGrad,
                         ::testing::Values(ResizeShape{2, 9, 7, 4, 3, true}, ResizeShape{1, 4, 3, 9, 7, false},
                                           ResizeShape{1, 5, 6, 11, 13, true}, ResizeShape{2, 8, 6, 4, 3, false}),
                         [](const auto& info) {
                           const ResizeShape& s = info.param;
                           return std::to_string(s.h) + "x" + std::to_string(s.w) + "_to_" + std::to_string(s.out_h) +
                                  "x" + std::to_string(s.out_w) + (s.antialias ? "_antialias" : "_plain");
                         });

// Away from the eps branch: every pixel's norm is well above sqrt(eps).
TEST(L2NormalizeGrad, MatchesFiniteDifferences) {
  for (int64_t c : {1, 5}) {
    const L2NormalizeShape s{2, c, 7, 1e-12f};
    F x = random_floats(s.size(), 1, 0.5f, 2.0f);
    const F sign = random_floats(s.size(), 3);
    for (size_t i = 0; i < x.size(); ++i) x[i] = sign[i] < 0.0f ? -x[i] : x[i];  // |x| >= 0.5: x +- h keeps its sign
    const F r = random_floats(s.size(), 2);
    F y(x.size()), gx(x.size());
    const Objective L = [&] {
      l2_normalize_forward_reference(s, x.data(), y.data());
      return dot(y, r);
    };
    l2_normalize_backward_reference(s, x.data(), r.data(), gx.data());
    expect_gradient(c == 1 ? "dx (c 1)" : "dx (c 5)", x, gx, L, 1e-3f, 5e-3);
  }
}

class DepthwiseConv2dGrad : public ::testing::TestWithParam<DepthwiseConv2dShape> {};

TEST_P(DepthwiseConv2dGrad, MatchesFiniteDifferences) {
  const DepthwiseConv2dShape s = GetParam();
  F x = random_floats(s.size(), 1), w = random_floats(s.weight_size(), 2), b = random_floats(s.c, 3);
  const F r = random_floats(s.size(), 4);
  F y(r.size()), gx(x.size()), gw(w.size()), gb(b.size());
  const Objective L = [&] {
    depthwise_conv2d_forward_reference(s, x.data(), w.data(), b.data(), y.data());
    return dot(y, r);
  };
  depthwise_conv2d_backward_reference(s, x.data(), w.data(), r.data(), gx.data(), gw.data(), gb.data());
  expect_gradient("dx", x, gx, L);
  expect_gradient("dw", w, gw, L);
  expect_gradient("db", b, gb, L);
}

INSTANTIATE_TEST_SUITE_P(Shapes, DepthwiseConv2dGrad,
                         ::testing::Values(DepthwiseConv2dShape{2, 3, 6, 5, 3}, DepthwiseConv2dShape{1, 2, 7, 6, 5},
                                           DepthwiseConv2dShape{1, 2, 2, 3, 5}, DepthwiseConv2dShape{2, 2, 1, 1, 3},
                                           DepthwiseConv2dShape{2, 3, 4, 4, 1}),
                         [](const auto& info) {
                           const DepthwiseConv2dShape& s = info.param;
                           std::ostringstream o;  // (not "n" + std::to_string: GCC 12's false -Wrestrict)
                           o << "n" << s.n << "_c" << s.c << "_" << s.h << "x" << s.w << "_k" << s.k;
                           return o.str();
                         });

// Mish is smooth: no kink to step around. The curved part [-6, 6], and a few values out where it is
// linear (past the reference's switch to y = x at 20) or flat (-25, -50).
TEST(MishGrad, MatchesFiniteDifferences) {
  F x = random_floats(200, 1, -6.0f, 6.0f);
  const float far[] = {-50.0f, -25.0f, -12.0f, 12.0f, 19.9f, 20.5f, 25.0f, 50.0f, -1.19f, 0.0f};
  size_t at = 0;  // every 21st value: expect_gradient checks every third of these 200
  for (float v : far) x[at] = v, at += 21;
  const F r = random_floats(200, 2);
  F y(200), gx(200);
  const Objective L = [&] {
    mish_forward_reference(x.data(), y.data(), 200);
    return dot(y, r);
  };
  mish_backward_reference(x.data(), r.data(), gx.data(), 200);
  expect_gradient("dx", x, gx, L);
}

class CrossEntropyGrad : public ::testing::TestWithParam<std::tuple<bool, float>> {};

TEST_P(CrossEntropyGrad, MatchesFiniteDifferences) {
  const auto [weighted, smoothing] = GetParam();
  const CrossEntropyShape s{2, 5, 12, smoothing};
  F z = random_floats(s.n * s.c * s.hw, 1, -3.0f, 3.0f);
  const F w = random_floats(s.c, 2, 0.3f, 2.0f);
  std::vector<uint8_t> labels(static_cast<size_t>(s.n * s.hw));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = i % 5 == 3 ? kIgnoreLabel : static_cast<uint8_t>(i * 3 % s.c);
  F g(z.size());
  const float* wp = weighted ? w.data() : nullptr;
  const Objective L = [&] { return static_cast<double>(cross_entropy_reference(s, z.data(), labels.data(), wp, nullptr)); };
  cross_entropy_reference(s, z.data(), labels.data(), wp, g.data());
  expect_gradient("dlogits", z, g, L, 1e-2f, 2e-2);
  // Ignored pixels receive no gradient at all.
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t i = 0; i < s.hw; ++i)
      if (labels[static_cast<size_t>(b * s.hw + i)] == kIgnoreLabel) {
        for (int64_t k = 0; k < s.c; ++k) EXPECT_EQ(g[static_cast<size_t>((b * s.c + k) * s.hw + i)], 0.0f);
      }
}

INSTANTIATE_TEST_SUITE_P(Variants, CrossEntropyGrad,
                         ::testing::Values(std::tuple{false, 0.0f}, std::tuple{true, 0.0f}, std::tuple{false, 0.1f},
                                           std::tuple{true, 0.2f}),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "weighted" : "unweighted") + "_smoothing" +
                                  std::to_string(static_cast<int>(std::get<1>(info.param) * 100));
                         });

}  // namespace
}  // namespace strata::nn
