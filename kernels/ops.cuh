#pragma once
// The CUDA versions of the network's ops, one .cu file each, every one with the same contract
// as its CPU reference in src/nn/ops/ (named in the file's first comment). All take device
// pointers and queue their work on ctx.stream; shapes are validated by the caller (the backend).
#include <cstdint>

#include "kernels/launch.cuh"
#include "nn/normalize.h"
#include "nn/ops/adam.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/conv_transpose2d.h"
#include "nn/ops/cross_entropy.h"
#include "nn/ops/max_pool.h"

namespace strata::cuda {

// conv2d.cu, conv_transpose2d.cu (on conv_product.cu and, for tf32/bf16, conv_tensor_core.cu)
void conv2d_forward(const Launch& ctx, const nn::Conv2dShape& s, const float* x, const float* w, const float* b,
                    float* y);
void conv2d_backward(const Launch& ctx, const nn::Conv2dShape& s, const float* x, const float* w, const float* dy,
                     float* dx, float* dw, float* db);
void conv_transpose2d_forward(const Launch& ctx, const nn::ConvTranspose2dShape& s, const float* x, const float* w,
                              const float* b, float* y);
void conv_transpose2d_backward(const Launch& ctx, const nn::ConvTranspose2dShape& s, const float* x, const float* w,
                               const float* dy, float* dx, float* dw, float* db);

// batch_norm.cu
void batch_norm_forward_train(const Launch& ctx, const nn::BatchNormShape& s, const float* x, const float* gamma,
                              const float* beta, float* running_mean, float* running_var, float* y, float* save_mean,
                              float* save_invstd);
void batch_norm_forward_eval(const Launch& ctx, const nn::BatchNormShape& s, const float* x, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var, float* y);
void batch_norm_backward(const Launch& ctx, const nn::BatchNormShape& s, const float* x, const float* y,
                         const float* gamma,
                         const float* save_mean, const float* save_invstd, const float* dy, float* dx, float* dgamma,
                         float* dbeta);
void batch_norm_fold(const Launch& ctx, const nn::BatchNormShape& s, const float* w, int64_t per_channel,
                     const float* bias, const float* gamma, const float* beta, const float* running_mean, const float* running_var,
                     float* w_out, float* b_out);

// relu.cu
void relu_forward(const Launch& ctx, const float* x, float* y, int64_t count);
void relu_backward(const Launch& ctx, const float* y, const float* dy, float* dx, int64_t count);

// max_pool.cu
void max_pool2x2_forward(const Launch& ctx, const nn::PoolShape& s, const float* x, float* y);
void max_pool2x2_backward(const Launch& ctx, const nn::PoolShape& s, const float* x, const float* dy, float* dx);

// concat.cu: one strided copy per input (xs and dxs are host arrays of device pointers).
void concat_channels_forward(const Launch& ctx, const nn::ConcatShape& s, const float* const* xs, float* y);
void concat_channels_backward(const Launch& ctx, const nn::ConcatShape& s, const float* dy, float* const* dxs);

// upsample.cu
void upsample2x_forward(const Launch& ctx, const float* x, float* y, int64_t planes, int64_t h, int64_t w);
void upsample2x_backward(const Launch& ctx, const float* dy, float* dx, int64_t planes, int64_t h, int64_t w);

// resize.cu (TensorFlow's bilinear resize; backward a gather over the transposed axes) and
// l2_normalize.cu (over channels). resize takes the axis weights through ctx.workspace.
void resize_bilinear_forward(const Launch& ctx, const nn::ResizeShape& s, const float* x, float* y);
void resize_bilinear_backward(const Launch& ctx, const nn::ResizeShape& s, const float* dy, float* dx);
void l2_normalize_forward(const Launch& ctx, const nn::L2NormalizeShape& s, const float* x, float* y);
void l2_normalize_backward(const Launch& ctx, const nn::L2NormalizeShape& s, const float* x, const float* dy,
                           float* dx);

// softmax.cu
void softmax_channels(const Launch& ctx, const float* x, float* y, int64_t n, int64_t c, int64_t hw);

// cross_entropy.cu: the loss comes back to the host (this synchronises the stream).
float cross_entropy(const Launch& ctx, const nn::CrossEntropyShape& s, const float* logits, const uint8_t* labels,
                    const float* class_weights, float* dlogits);

// adam.cu
void adam_step(const Launch& ctx, const nn::AdamHyper& h, float* param, const float* grad, float* m, float* v,
               int64_t count);

// depthwise_conv2d.cu (k <= 109: the filter in shared memory) and mish.cu (Dynamic World's ops)
void depthwise_conv2d_forward(const Launch& ctx, const nn::DepthwiseConv2dShape& s, const float* x, const float* w,
                              const float* b, float* y);
void depthwise_conv2d_backward(const Launch& ctx, const nn::DepthwiseConv2dShape& s, const float* x, const float* w,
                               const float* dy, float* dx, float* dw, float* db);
void mish_forward(const Launch& ctx, const float* x, float* y, int64_t count);
void mish_backward(const Launch& ctx, const float* x, const float* dy, float* dx, int64_t count);

// elementwise.cu; count_nonfinite synchronises the stream.
void fill(const Launch& ctx, float* y, float value, int64_t count);
void add_inplace(const Launch& ctx, float* y, const float* x, int64_t count);
void add(const Launch& ctx, const float* a, const float* b, float* y, int64_t count);  // y may be a or b
int64_t count_nonfinite(const Launch& ctx, const float* x, int64_t count);

// normalize_bands.cu; params holds 2 * bands floats on the device (a, then b).
void normalize_bands(const Launch& ctx, const uint16_t* dn, float* out, nn::NormalizationMode mode,
                     const float* params, int64_t batch, int64_t bands, int64_t pixels);

}  // namespace strata::cuda
