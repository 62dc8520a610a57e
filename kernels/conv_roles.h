#pragma once
// Which tensor plays which role in the implicit-GEMM products (conv_product.cuh) of the six
// convolution directions. Host-only and pure, so that tests/test_conv_roles.cpp evaluates each
// product on the host against the CPU reference (nn/ops/conv2d.h, conv_transpose2d.h) on any
// machine; the kernels then only have to compute the generic products right. Sizes must have
// passed check_int32 (launch.cuh).
#include "kernels/conv_product.cuh"
#include "nn/ops/conv2d.h"
#include "nn/ops/conv_transpose2d.h"

namespace strata::cuda {

// ---- conv2d: weights [c_out][c_in][k][k], pad k / 2 ------------------------------------------

// x gathered onto the output grid at oy * stride - pad + ky: the columns of y and of dW.
inline Gather conv2d_input_gather(const nn::Conv2dShape& s, const float* x) {
  return {x, int(s.n), int(s.c_in), int(s.h), int(s.w), int(s.out_h()), int(s.out_w()), int(s.k), int(s.stride),
          int(s.pad()), false};
}

// y[co] = b[co] + sum over (ci, tap) of W[co][ci][tap] * x(tap).
inline ConvProduct conv2d_forward_product(const nn::Conv2dShape& s, const float* x, const float* w, const float* b,
                                          float* y) {
  const int kk = int(s.k * s.k);
  return {Weights{w, int(s.c_in) * kk, kk, kk}, conv2d_input_gather(s, x), int(s.c_out), y, b};
}

// dx[ci] = sum over (co, tap) of W[co][ci][tap] * dy at the output pixel that tap came from.
inline ConvProduct conv2d_input_grad_product(const nn::Conv2dShape& s, const float* w, const float* dy, float* dx) {
  const int kk = int(s.k * s.k);
  const Gather g{dy, int(s.n), int(s.c_out), int(s.out_h()), int(s.out_w()), int(s.h), int(s.w), int(s.k),
                 int(s.stride), int(s.pad()), true};
  return {Weights{w, kk, int(s.c_in) * kk, kk}, g, int(s.c_in), dx, nullptr};
}

// dW[co][ci][tap] = sum over (n, output pixel) of dy[co] * x(ci, tap).
inline WeightGradProduct conv2d_weight_grad_product(const nn::Conv2dShape& s, const float* x, const float* dy,
                                                    float* dw) {
  return {dy, int(s.c_out), conv2d_input_gather(s, x), dw};
}

// ---- conv_transpose2d: weights [c_in][c_out][k][k], any stride, 0 <= pad < k -----------------

// dy read at iy * stride - pad + ky for each input pixel iy: the columns of dx and of dW.
inline Gather conv_transpose2d_output_gather(const nn::ConvTranspose2dShape& s, const float* dy) {
  return {dy, int(s.n), int(s.c_out), int(s.out_h()), int(s.out_w()), int(s.h), int(s.w), int(s.k), int(s.stride),
          int(s.pad), false};
}

// y[co] at output pixel o = b[co] + sum over (ci, tap) of W[ci][co][tap] * x at the input pixel
// whose scatter reaches o through that tap: the conv input gradient's gather.
inline ConvProduct conv_transpose2d_forward_product(const nn::ConvTranspose2dShape& s, const float* x,
                                                    const float* w, const float* b, float* y) {
  const int kk = int(s.k * s.k);
  const Gather g{x, int(s.n), int(s.c_in), int(s.h), int(s.w), int(s.out_h()), int(s.out_w()), int(s.k),
                 int(s.stride), int(s.pad), true};
  return {Weights{w, kk, int(s.c_out) * kk, kk}, g, int(s.c_out), y, b};
}

// dx[ci] = sum over (co, tap) of W[ci][co][tap] * dy(co, tap): a convolution of dy.
inline ConvProduct conv_transpose2d_input_grad_product(const nn::ConvTranspose2dShape& s, const float* w,
                                                       const float* dy, float* dx) {
  const int kk = int(s.k * s.k);
  return {Weights{w, int(s.c_out) * kk, kk, kk}, conv_transpose2d_output_gather(s, dy), int(s.c_in), dx, nullptr};
}

// dW[ci][co][tap] = sum over (n, input pixel) of x[ci] * dy(co, tap).
inline WeightGradProduct conv_transpose2d_weight_grad_product(const nn::ConvTranspose2dShape& s, const float* x,
                                                              const float* dy, float* dw) {
  return {x, int(s.c_in), conv_transpose2d_output_gather(s, dy), dw};
}

}  // namespace strata::cuda
