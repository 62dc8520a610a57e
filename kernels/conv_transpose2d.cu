// Transposed conv2d forward and backward. Contract: nn::conv_transpose2d_forward_reference /
// conv_transpose2d_backward_reference (weights [c_in][c_out][k][k], any stride and 0 <= pad < k).
// The forward is a conv's input gradient and the input gradient a conv's forward, so both are
// products of conv_product.cuh with the roles swapped; no scatter, no atomics.
#include "kernels/conv_product.cuh"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

void check_sizes(const nn::ConvTranspose2dShape& s) {
  check_int32(s.input_size(), "conv_transpose2d");
  check_int32(s.output_size(), "conv_transpose2d");
  check_int32(s.weight_size(), "conv_transpose2d");
}

// dy [n][c_out][out_h][out_w] read at iy * stride - pad + ky for each input pixel iy: the
// columns of dx and of dW.
Gather output_gather(const nn::ConvTranspose2dShape& s, const float* dy) {
  return {dy, int(s.n), int(s.c_out), int(s.out_h()), int(s.out_w()), int(s.h), int(s.w), int(s.k), int(s.stride),
          int(s.pad), false};
}

}  // namespace

void conv_transpose2d_forward(const Launch& ctx, const nn::ConvTranspose2dShape& s, const float* x, const float* w,
                              const float* b, float* y) {
  check_sizes(s);
  const int kk = int(s.k * s.k);
  // y[co] at output pixel o = b[co] + sum over (ci, tap) of W[ci][co][tap] * x at the input
  // pixel whose scatter reaches o through that tap.
  const Gather g{x, int(s.n), int(s.c_in), int(s.h), int(s.w), int(s.out_h()), int(s.out_w()), int(s.k),
                 int(s.stride), int(s.pad), true};
  conv_product(ctx, ConvProduct{Weights{w, kk, int(s.c_out) * kk, kk}, g, int(s.c_out), y, b});
}

void conv_transpose2d_backward(const Launch& ctx, const nn::ConvTranspose2dShape& s, const float* x,
                               const float* w, const float* dy, float* dx, float* dw, float* db) {
  check_sizes(s);
  const int kk = int(s.k * s.k);
  if (dx) conv_product(ctx, ConvProduct{Weights{w, int(s.c_out) * kk, kk, kk}, output_gather(s, dy), int(s.c_in), dx,
                                        nullptr});
  if (dw) weight_grad_product(ctx, WeightGradProduct{x, int(s.c_in), output_gather(s, dy), dw});
  if (db) bias_grad(ctx, dy, s.n, s.c_out, s.out_h() * s.out_w(), db);
}

}  // namespace strata::cuda
