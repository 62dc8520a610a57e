// The CUDA kernels' bookkeeping, run on the host against the CPU references; needs no GPU, so
// it is checked on every machine that builds the CUDA backend, and a failure on a GPU is then in
// the kernels' arithmetic, not in their indexing.
// - The convolutions are implicit-GEMM products whose operands are described on the host
//   (kernels/conv_roles.h): each of the six products (forward, input and weight gradient of
//   conv2d and conv_transpose2d) is evaluated from its description.
// - The composite's per-pixel code (kernels/composite_pixel.h) is run over whole stacks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "composite_stacks.h"
#include "kernels/composite_pixel.h"
#include "kernels/conv_roles.h"
#include "op_test_util.h"

namespace strata::cuda {
namespace {

using test::all_close;
using test::random_floats;
using F = std::vector<float>;

void evaluate(const ConvProduct& p) {
  for (int col = 0; col < p.g.pixels(); ++col)
    for (int row = 0; row < p.m; ++row) {
      double acc = 0.0;
      for (int tap = 0; tap < p.g.taps(); ++tap) acc += static_cast<double>(p.w(row, tap)) * p.g(tap, col);
      p.store(row, col, static_cast<float>(acc));
    }
}

void evaluate(const WeightGradProduct& p) {
  for (int row = 0; row < p.m; ++row)
    for (int tap = 0; tap < p.g.taps(); ++tap) {
      double acc = 0.0;
      for (int col = 0; col < p.g.pixels(); ++col) acc += static_cast<double>(p.activation(row, col)) * p.g(tap, col);
      p.dw[row * p.g.taps() + tap] = static_cast<float>(acc);
    }
}

constexpr double kTol = 1e-5;

TEST(ConvRoles, Conv2dProductsAreTheReference) {
  for (const nn::Conv2dShape& s : {nn::Conv2dShape{2, 3, 9, 7, 4, 3, 1}, nn::Conv2dShape{2, 3, 9, 7, 5, 3, 2},
                                   nn::Conv2dShape{1, 4, 8, 10, 3, 3, 2}, nn::Conv2dShape{2, 5, 11, 12, 6, 5, 1},
                                   nn::Conv2dShape{1, 2, 2, 3, 3, 5, 1}, nn::Conv2dShape{3, 6, 5, 6, 9, 1, 1},
                                   nn::Conv2dShape{1, 4, 5, 6, 3, 1, 2}, nn::Conv2dShape{2, 3, 1, 1, 4, 3, 1}}) {
    const std::string what = "conv2d n" + std::to_string(s.n) + " c" + std::to_string(s.c_in) + " " +
                             std::to_string(s.h) + "x" + std::to_string(s.w) + " k" + std::to_string(s.k) + " s" +
                             std::to_string(s.stride);
    const F x = random_floats(s.input_size(), 1), w = random_floats(s.weight_size(), 2), b = random_floats(s.c_out, 3),
            dy = random_floats(s.output_size(), 4);
    F y(static_cast<size_t>(s.output_size())), dx(x.size()), dw(w.size()), db(b.size());
    conv2d_forward_reference(s, x.data(), w.data(), b.data(), y.data());
    conv2d_backward_reference(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    F gy(y.size()), gdx(dx.size()), gdw(dw.size());
    evaluate(conv2d_forward_product(s, x.data(), w.data(), b.data(), gy.data()));
    evaluate(conv2d_input_grad_product(s, w.data(), dy.data(), gdx.data()));
    evaluate(conv2d_weight_grad_product(s, x.data(), dy.data(), gdw.data()));
    EXPECT_TRUE(all_close(gy, y, kTol)) << what << " y";
    EXPECT_TRUE(all_close(gdx, dx, kTol)) << what << " dx";
    EXPECT_TRUE(all_close(gdw, dw, kTol)) << what << " dw";
  }
}

TEST(ConvRoles, ConvTranspose2dProductsAreTheReference) {
  for (const nn::ConvTranspose2dShape& s :
       {nn::ConvTranspose2dShape{2, 8, 7, 9, 5, 5, 1, 2}, nn::ConvTranspose2dShape{2, 8, 5, 6, 4, 2, 2, 0},
        nn::ConvTranspose2dShape{1, 3, 4, 5, 2, 3, 2, 1}, nn::ConvTranspose2dShape{1, 2, 3, 4, 3, 4, 3, 1},
        nn::ConvTranspose2dShape{2, 3, 1, 1, 2, 3, 2, 0}}) {
    const std::string what = "conv_transpose2d c" + std::to_string(s.c_in) + " " + std::to_string(s.h) + "x" +
                             std::to_string(s.w) + " k" + std::to_string(s.k) + " s" + std::to_string(s.stride) +
                             " p" + std::to_string(s.pad);
    const F x = random_floats(s.input_size(), 1), w = random_floats(s.weight_size(), 2), b = random_floats(s.c_out, 3),
            dy = random_floats(s.output_size(), 4);
    F y(static_cast<size_t>(s.output_size())), dx(x.size()), dw(w.size()), db(b.size());
    conv_transpose2d_forward_reference(s, x.data(), w.data(), b.data(), y.data());
    conv_transpose2d_backward_reference(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    F gy(y.size()), gdx(dx.size()), gdw(dw.size());
    evaluate(conv_transpose2d_forward_product(s, x.data(), w.data(), b.data(), gy.data()));
    evaluate(conv_transpose2d_input_grad_product(s, w.data(), dy.data(), gdx.data()));
    evaluate(conv_transpose2d_weight_grad_product(s, x.data(), dy.data(), gdw.data()));
    EXPECT_TRUE(all_close(gy, y, kTol)) << what << " y";
    EXPECT_TRUE(all_close(gdx, dx, kTol)) << what << " dx";
    EXPECT_TRUE(all_close(gdw, dw, kTol)) << what << " dw";
  }
}

TEST(CompositePixel, IsTheReference) {
  for (const test::StackCase& c : test::stack_cases()) {
    const test::Stack s = test::make_stack(c);
    const CompositeStack stack{c.dates, c.bands, c.height, c.width, s.images.data(),
                               c.masks ? s.masks.data() : nullptr, s.nodata};
    const CompositePlan plan = make_composite_plan(stack, c.percentile, c.out_nodata);
    std::vector<uint16_t> out(s.want.size());
    std::vector<uint8_t> count(s.want_count.size());
    for (int64_t i = 0; i < plan.plane; ++i) composite_pixel(stack.images, stack.masks, plan, i, out.data(), count.data());
    EXPECT_EQ(out, s.want) << s.what;
    EXPECT_EQ(count, s.want_count) << s.what;
  }
}

TEST(CompositePixel, PlanRefusesWhatTheReferenceRefuses) {
  const std::vector<uint16_t> images(4);
  CompositeStack s{1, 1, 2, 2, images.data(), nullptr, {}};
  EXPECT_THROW(make_composite_plan(s, 101.0, 0), Error);
  EXPECT_THROW(make_composite_plan(s, -1.0, 0), Error);
  s.nodata = {std::nullopt, std::nullopt};
  EXPECT_THROW(make_composite_plan(s, 50.0, 0), Error);
  s.nodata.clear();
  s.dates = 256;
  EXPECT_THROW(make_composite_plan(s, 50.0, 0), Error);
}

}  // namespace
}  // namespace strata::cuda
