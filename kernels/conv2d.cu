// conv2d forward and backward. Contract: nn::conv2d_forward_reference / conv2d_backward_reference
// (same padding k / 2, stride 1 or 2, weights [c_out][c_in][k][k]). Each direction is one
// implicit-GEMM product of conv_product.cuh; this file only says which tensor plays which role.
#include "kernels/conv_product.cuh"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

void check_sizes(const nn::Conv2dShape& s) {
  check_int32(s.input_size(), "conv2d");
  check_int32(s.output_size(), "conv2d");
  check_int32(s.weight_size(), "conv2d");
}

// x [n][c_in][h][w] gathered onto the output grid: the columns of the forward and of dW.
Gather input_gather(const nn::Conv2dShape& s, const float* x) {
  return {x, int(s.n), int(s.c_in), int(s.h), int(s.w), int(s.out_h()), int(s.out_w()), int(s.k), int(s.stride),
          int(s.pad()), false};
}

}  // namespace

void conv2d_forward(const Launch& ctx, const nn::Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y) {
  check_sizes(s);
  const int kk = int(s.k * s.k);
  conv_product(ctx, ConvProduct{Weights{w, int(s.c_in) * kk, kk, kk}, input_gather(s, x), int(s.c_out), y, b});
}

void conv2d_backward(const Launch& ctx, const nn::Conv2dShape& s, const float* x, const float* w, const float* dy,
                     float* dx, float* dw, float* db) {
  check_sizes(s);
  const int kk = int(s.k * s.k);
  if (dx) {
    // dx[ci] = sum over (co, tap) of W[co][ci][tap] * dy at the output pixel that tap came from.
    const Gather g{dy, int(s.n), int(s.c_out), int(s.out_h()), int(s.out_w()), int(s.h), int(s.w), int(s.k),
                   int(s.stride), int(s.pad()), true};
    conv_product(ctx, ConvProduct{Weights{w, kk, int(s.c_in) * kk, kk}, g, int(s.c_in), dx, nullptr});
  }
  if (dw) weight_grad_product(ctx, WeightGradProduct{dy, int(s.c_out), input_gather(s, x), dw});
  if (db) bias_grad(ctx, dy, s.n, s.c_out, s.out_h() * s.out_w(), db);
}

}  // namespace strata::cuda
