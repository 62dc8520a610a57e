// Transposed conv2d forward and backward. Contract: nn::conv_transpose2d_forward_reference /
// conv_transpose2d_backward_reference (weights [c_in][c_out][k][k], any stride, 0 <= pad < k).
// The forward is a conv's input gradient and the input gradient a conv's forward, so both are
// implicit-GEMM products with the roles swapped (conv_roles.h): no scatter, no atomics.
#include "kernels/conv_roles.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

void check_sizes(const nn::ConvTranspose2dShape& s) {
  check_int32(s.input_size(), "conv_transpose2d");
  check_int32(s.output_size(), "conv_transpose2d");
  check_int32(s.weight_size(), "conv_transpose2d");
}

}  // namespace

void conv_transpose2d_forward(const Launch& ctx, const nn::ConvTranspose2dShape& s, const float* x, const float* w,
                              const float* b, float* y) {
  check_sizes(s);
  conv_product(ctx, conv_transpose2d_forward_product(s, x, w, b, y));
}

void conv_transpose2d_backward(const Launch& ctx, const nn::ConvTranspose2dShape& s, const float* x,
                               const float* w, const float* dy, float* dx, float* dw, float* db) {
  check_sizes(s);
  if (dx) conv_product(ctx, conv_transpose2d_input_grad_product(s, w, dy, dx));
  if (dw) weight_grad_product(ctx, conv_transpose2d_weight_grad_product(s, x, dy, dw));
  if (db) bias_grad(ctx, dy, s.n, s.c_out, s.out_h() * s.out_w(), db);
}

}  // namespace strata::cuda
