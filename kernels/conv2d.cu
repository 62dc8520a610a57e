// conv2d forward and backward. Contract: nn::conv2d_forward_reference / conv2d_backward_reference
// (same padding k / 2, stride 1 or 2, weights [c_out][c_in][k][k]). Each direction is one
// implicit-GEMM product (conv_product.cu; roles in conv_roles.h), the bias gradient a channel sum.
#include "kernels/conv_roles.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

void check_sizes(const nn::Conv2dShape& s) {
  check_int32(s.input_size(), "conv2d");
  check_int32(s.output_size(), "conv2d");
  check_int32(s.weight_size(), "conv2d");
}

}  // namespace

void conv2d_forward(const Launch& ctx, const nn::Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  check_sizes(s);
  conv_product(ctx, conv2d_forward_product(s, x, w, b, y));
}

void conv2d_backward(const Launch& ctx, const nn::Conv2dShape& s, const float* x, const float* w, const float* dy,
                     float* dx, float* dw, float* db) {
  check_sizes(s);
  if (dx) conv_product(ctx, conv2d_input_grad_product(s, w, dy, dx));
  if (dw) weight_grad_product(ctx, conv2d_weight_grad_product(s, x, dy, dw));
  if (db) bias_grad(ctx, dy, s.n, s.c_out, s.out_h() * s.out_w(), db);
}

}  // namespace strata::cuda
