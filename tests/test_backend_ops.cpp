// Every op on every backend (the CPU backend, and the CUDA backend of kernels/cuda_backend.cu
// where a GPU is present) against its CPU reference (nn/ops/*.h), on random inputs and
// edge-case shapes. The CPU backend is checked too: its convolutions take the fast
// im2col + GEMM path, so this is where fast and reference meet. On CUDA the convolution cases
// exercise kernels/conv_product.cu (fp32 implicit GEMM, all six products) and run once more per
// tensor-core precision (tf32, bf16: kernels/conv_tensor_core.cu), against the same fp32
// reference with a tolerance scaled by the precision. A backend that lacks an op, or a backend whose device is
// absent, is skipped with the reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>
#include <string>
#include <vector>

#include "nn/backend_registry.h"
#include "nn/ops/adam.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/conv_transpose2d.h"
#include "nn/ops/cross_entropy.h"
#include "nn/ops/elementwise.h"
#include "nn/ops/max_pool.h"
#include "nn/ops/mish.h"
#include "nn/ops/relu.h"
#include "nn/ops/softmax.h"
#include "nn/normalize.h"
#include "nn/ops/upsample.h"
#include "gpu_required.h"
#include "op_test_util.h"

namespace strata::nn {
namespace {

using test::all_close;
using test::DeviceArray;
using test::random_floats;
using F = std::vector<float>;

constexpr double kTol = 2e-5;  // relative to the largest reference value

// The convolutions' precision. On tensor cores (tf32, bf16) the cases' inputs are rounded to the
// precision first (round() below, as the kernels round: TF32 to nearest with ties away, bf16 to
// nearest even), so the products are exact and the only error left is fp32 accumulation: the
// result must match the double reference to kTol like fp32 does. (4 units of the rounding
// relative to the largest output, the earlier tolerance, let a dropped tap pass.)
struct Precision {
  ConvPrecision p = ConvPrecision::fp32;
  double tol = kTol;
  operator double() const { return tol; }
  F round(F v) const {
    for (float& x : v) {
      if (p == ConvPrecision::tf32) {
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        bits = (bits + 0x1000u) & 0xffffe000u;
        std::memcpy(&x, &bits, 4);
      } else if (p == ConvPrecision::bf16) {
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
        std::memcpy(&x, &bits, 4);
      }
    }
    return v;
  }
};

struct OpCase {
  std::string name;
  std::function<void(Backend&, const Precision& conv)> run;
  bool convolution = false;  // runs once per precision on CUDA
};

// ---- convolutions ---------------------------------------------------------------------
OpCase conv_forward(std::string name, Conv2dShape s, bool bias) {
  return {std::move(name), [=](Backend& be, const Precision& tol) {
            const F x = tol.round(random_floats(s.input_size(), 1)), w = tol.round(random_floats(s.weight_size(), 2)),
                    b = tol.round(random_floats(s.c_out, 3));
            F want(static_cast<size_t>(s.output_size()));
            conv2d_forward_reference(s, x.data(), w.data(), bias ? b.data() : nullptr, want.data());
            DeviceArray<float> dx(be, x), dw(be, w), db(be, b), dy(be, want.size());
            be.conv2d_forward(s, dx.get(), dw.get(), bias ? db.get() : nullptr, dy.get());
            EXPECT_TRUE(all_close(dy.host(), want, tol));
          },
          true};
}

// The activation epilogue is forward only: a backward with s.act set is an Error on every backend.
OpCase conv_backward_refuses_act(std::string name, Conv2dShape s, DepthwiseConv2dShape d) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(s.input_size(), 1), w = random_floats(s.weight_size(), 2),
                    g = random_floats(s.output_size(), 4);
            DeviceArray<float> dx(be, x), dw(be, w), dg(be, g), ogx(be, x.size()), ogw(be, w.size());
            F rx(x.size()), rw(w.size());
            EXPECT_THROW(conv2d_backward_reference(s, x.data(), w.data(), g.data(), rx.data(), rw.data(), nullptr),
                         Error);
            EXPECT_THROW(be.conv2d_backward(s, dx.get(), dw.get(), dg.get(), ogx.get(), ogw.get(), nullptr), Error);
            const F dxv = random_floats(d.size(), 1), dwv = random_floats(d.weight_size(), 2),
                    dgv = random_floats(d.size(), 4);
            DeviceArray<float> ddx(be, dxv), ddw(be, dwv), ddg(be, dgv), dogx(be, dxv.size());
            F drx(dxv.size());
            EXPECT_THROW(depthwise_conv2d_backward_reference(d, dxv.data(), dwv.data(), dgv.data(), drx.data(),
                                                             nullptr, nullptr),
                         Error);
            EXPECT_THROW(be.depthwise_conv2d_backward(d, ddx.get(), ddw.get(), ddg.get(), dogx.get(), nullptr, nullptr),
                         Error);
          }};
}

OpCase conv_backward(std::string name, Conv2dShape s) {
  return {std::move(name), [=](Backend& be, const Precision& tol) {
            const F x = tol.round(random_floats(s.input_size(), 1)), w = tol.round(random_floats(s.weight_size(), 2)),
                    g = tol.round(random_floats(s.output_size(), 4));
            F gx(static_cast<size_t>(s.input_size())), gw(static_cast<size_t>(s.weight_size())),
                gb(static_cast<size_t>(s.c_out));
            conv2d_backward_reference(s, x.data(), w.data(), g.data(), gx.data(), gw.data(), gb.data());
            DeviceArray<float> dx(be, x), dw(be, w), dg(be, g), ogx(be, gx.size()), ogw(be, gw.size()),
                ogb(be, gb.size());
            be.conv2d_backward(s, dx.get(), dw.get(), dg.get(), ogx.get(), ogw.get(), ogb.get());
            EXPECT_TRUE(all_close(ogx.host(), gx, tol)) << "dx";
            EXPECT_TRUE(all_close(ogw.host(), gw, tol)) << "dw";
            EXPECT_TRUE(all_close(ogb.host(), gb, tol)) << "db";
            // Gradients that are not wanted are not computed: dx alone must still be right.
            DeviceArray<float> only_dx(be, gx.size());
            be.conv2d_backward(s, dx.get(), dw.get(), dg.get(), only_dx.get(), nullptr, nullptr);
            EXPECT_TRUE(all_close(only_dx.host(), gx, tol)) << "dx alone";
            // The first layer's call: weights and bias only, no dx. Again: the split-K sums and the
            // channel sums come out bit for bit the same on the same device.
            DeviceArray<float> first_w(be, gw.size()), first_b(be, gb.size());
            be.conv2d_backward(s, dx.get(), dw.get(), dg.get(), nullptr, first_w.get(), first_b.get());
            EXPECT_TRUE(all_close(first_w.host(), gw, tol)) << "dw without dx";
            EXPECT_TRUE(all_close(first_b.host(), gb, tol)) << "db without dx";
            EXPECT_EQ(first_w.host(), ogw.host()) << "dw run to run";
            EXPECT_EQ(first_b.host(), ogb.host()) << "db run to run";
          },
          true};
}

OpCase convt_forward(std::string name, ConvTranspose2dShape s) {
  return {std::move(name), [=](Backend& be, const Precision& tol) {
            const F x = tol.round(random_floats(s.input_size(), 1)), w = tol.round(random_floats(s.weight_size(), 2)),
                    b = tol.round(random_floats(s.c_out, 3));
            F want(static_cast<size_t>(s.output_size()));
            conv_transpose2d_forward_reference(s, x.data(), w.data(), b.data(), want.data());
            DeviceArray<float> dx(be, x), dw(be, w), db(be, b), dy(be, want.size());
            be.conv_transpose2d_forward(s, dx.get(), dw.get(), db.get(), dy.get());
            EXPECT_TRUE(all_close(dy.host(), want, tol));
          },
          true};
}

OpCase convt_backward(std::string name, ConvTranspose2dShape s) {
  return {std::move(name), [=](Backend& be, const Precision& tol) {
            const F x = tol.round(random_floats(s.input_size(), 1)), w = tol.round(random_floats(s.weight_size(), 2)),
                    g = tol.round(random_floats(s.output_size(), 4));
            F gx(static_cast<size_t>(s.input_size())), gw(static_cast<size_t>(s.weight_size())),
                gb(static_cast<size_t>(s.c_out));
            conv_transpose2d_backward_reference(s, x.data(), w.data(), g.data(), gx.data(), gw.data(), gb.data());
            DeviceArray<float> dx(be, x), dw(be, w), dg(be, g), ogx(be, gx.size()), ogw(be, gw.size()),
                ogb(be, gb.size());
            be.conv_transpose2d_backward(s, dx.get(), dw.get(), dg.get(), ogx.get(), ogw.get(), ogb.get());
            EXPECT_TRUE(all_close(ogx.host(), gx, tol)) << "dx";
            EXPECT_TRUE(all_close(ogw.host(), gw, tol)) << "dw";
            EXPECT_TRUE(all_close(ogb.host(), gb, tol)) << "db";
            // Each gradient alone (the others null), and the same bits run to run.
            DeviceArray<float> only_dx(be, gx.size()), only_dw(be, gw.size()), only_db(be, gb.size());
            be.conv_transpose2d_backward(s, dx.get(), dw.get(), dg.get(), only_dx.get(), nullptr, nullptr);
            be.conv_transpose2d_backward(s, dx.get(), dw.get(), dg.get(), nullptr, only_dw.get(), nullptr);
            be.conv_transpose2d_backward(s, dx.get(), dw.get(), dg.get(), nullptr, nullptr, only_db.get());
            EXPECT_EQ(only_dx.host(), ogx.host()) << "dx alone";
            EXPECT_EQ(only_dw.host(), ogw.host()) << "dw alone";
            EXPECT_EQ(only_db.host(), ogb.host()) << "db alone";
          },
          true};
}

// ---- normalisation, activations, resampling ----------------------------------------------
// in_place: backward writes dx over dy, as the U-Net's layers call it.
OpCase bn_train(std::string name, BatchNormShape s, bool in_place = false) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(s.size(), 1, -2.0f, 3.0f), gamma = random_floats(s.c, 2, 0.5f, 1.5f),
                    beta = random_floats(s.c, 3);
            F rm = random_floats(s.c, 5), rv = random_floats(s.c, 6, 0.5f, 2.0f);
            F y(static_cast<size_t>(s.size())), mean(static_cast<size_t>(s.c)), invstd(static_cast<size_t>(s.c));
            DeviceArray<float> dx(be, x), dg(be, gamma), db(be, beta), drm(be, rm), drv(be, rv), dy(be, y.size()),
                dmean(be, mean.size()), dinv(be, invstd.size());
            batch_norm_forward_train_reference(s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), y.data(),
                                               mean.data(), invstd.data());
            be.batch_norm_forward_train(s, dx.get(), dg.get(), db.get(), drm.get(), drv.get(), dy.get(), dmean.get(),
                                        dinv.get());
            EXPECT_TRUE(all_close(dy.host(), y, kTol)) << "y";
            EXPECT_TRUE(all_close(dmean.host(), mean, kTol)) << "mean";
            EXPECT_TRUE(all_close(dinv.host(), invstd, kTol)) << "invstd";
            EXPECT_TRUE(all_close(drm.host(), rm, kTol)) << "running mean";
            EXPECT_TRUE(all_close(drv.host(), rv, kTol)) << "running var";
            // Backward from the saved statistics.
            const F g = random_floats(s.size(), 7);
            F gx(y.size()), ggamma(static_cast<size_t>(s.c)), gbeta(static_cast<size_t>(s.c));
            batch_norm_backward_reference(s, x.data(), y.data(), gamma.data(), mean.data(), invstd.data(), g.data(),
                                          gx.data(), ggamma.data(), gbeta.data());
            DeviceArray<float> dgo(be, g), ogx(be, gx.size()), oggamma(be, ggamma.size()), ogbeta(be, gbeta.size());
            be.batch_norm_backward(s, dx.get(), dy.get(), dg.get(), dmean.get(), dinv.get(), dgo.get(),
                                   in_place ? dgo.get() : ogx.get(), oggamma.get(), ogbeta.get());
            EXPECT_TRUE(all_close(in_place ? dgo.host() : ogx.host(), gx, 1e-4)) << "dx";
            EXPECT_TRUE(all_close(oggamma.host(), ggamma, kTol)) << "dgamma";
            EXPECT_TRUE(all_close(ogbeta.host(), gbeta, kTol)) << "dbeta";
            // Without dx (a batch norm whose input needs no gradient): the same dgamma and dbeta, bit
            // for bit, the double sums in the same order run to run.
            if (!in_place) {
              DeviceArray<float> again_gamma(be, ggamma.size()), again_beta(be, gbeta.size());
              be.batch_norm_backward(s, dx.get(), dy.get(), dg.get(), dmean.get(), dinv.get(), dgo.get(), nullptr,
                                     again_gamma.get(), again_beta.get());
              EXPECT_EQ(again_gamma.host(), oggamma.host()) << "dgamma without dx";
              EXPECT_EQ(again_beta.host(), ogbeta.host()) << "dbeta without dx";
            }
          }};
}

OpCase bn_eval(std::string name, BatchNormShape s) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(s.size(), 1, -2.0f, 3.0f), gamma = random_floats(s.c, 2),
                    beta = random_floats(s.c, 3), rm = random_floats(s.c, 5), rv = random_floats(s.c, 6, 0.1f, 2.0f);
            F y(static_cast<size_t>(s.size()));
            batch_norm_forward_eval_reference(s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), y.data());
            DeviceArray<float> dx(be, x), dg(be, gamma), db(be, beta), drm(be, rm), drv(be, rv), dy(be, y.size());
            be.batch_norm_forward_eval(s, dx.get(), dg.get(), db.get(), drm.get(), drv.get(), dy.get());
            EXPECT_TRUE(all_close(dy.host(), y, kTol));
          }};
}

OpCase bn_fold(std::string name, int64_t channels, int64_t per_channel) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const BatchNormShape s{1, channels, 1, 1e-5f, 0.1f};
            const F w = random_floats(channels * per_channel, 1), gamma = random_floats(channels, 2),
                    beta = random_floats(channels, 3), rm = random_floats(channels, 5),
                    rv = random_floats(channels, 6, 0.1f, 2.0f);
            const F bias = random_floats(channels, 7);
            F wo(w.size()), bo(static_cast<size_t>(channels)), bo_biased(bo.size());
            batch_norm_fold_reference(s, w.data(), per_channel, nullptr, gamma.data(), beta.data(), rm.data(),
                                      rv.data(), wo.data(), bo.data());
            batch_norm_fold_reference(s, w.data(), per_channel, bias.data(), gamma.data(), beta.data(), rm.data(),
                                      rv.data(), wo.data(), bo_biased.data());
            DeviceArray<float> dw(be, w), dbias(be, bias), dg(be, gamma), db(be, beta), drm(be, rm), drv(be, rv),
                dwo(be, wo.size()), dbo(be, bo.size());
            be.batch_norm_fold(s, dw.get(), per_channel, nullptr, dg.get(), db.get(), drm.get(), drv.get(), dwo.get(),
                               dbo.get());
            EXPECT_TRUE(all_close(dwo.host(), wo, kTol));
            EXPECT_TRUE(all_close(dbo.host(), bo, kTol));
            // With the convolution's own bias (Dynamic World's convolutions carry one).
            be.batch_norm_fold(s, dw.get(), per_channel, dbias.get(), dg.get(), db.get(), drm.get(), drv.get(),
                               dwo.get(), dbo.get());
            EXPECT_TRUE(all_close(dwo.host(), wo, kTol));
            EXPECT_TRUE(all_close(dbo.host(), bo_biased, kTol)) << "with bias";
          }};
}

OpCase relu_case(std::string name, int64_t count) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            F x = random_floats(count, 1);
            x[0] = 0.0f;  // the kink itself: gradient 0, as PyTorch
            const F g = random_floats(count, 2);
            F y(x.size()), gx(x.size());
            relu_forward_reference(x.data(), y.data(), count);
            relu_backward_reference(y.data(), g.data(), gx.data(), count);
            DeviceArray<float> dx(be, x), dy(be, x.size()), dg(be, g), dgx(be, x.size());
            be.relu_forward(dx.get(), dy.get(), count);
            be.relu_backward(dy.get(), dg.get(), dgx.get(), count);
            EXPECT_TRUE(all_close(dy.host(), y, 0.0));
            EXPECT_TRUE(all_close(dgx.host(), gx, 0.0));
          }};
}

OpCase pool_case(std::string name, PoolShape s) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            F x = random_floats(s.input_size(), 1);
            std::fill(x.begin(), x.begin() + std::min<int64_t>(8, s.input_size()), 0.5f);  // ties
            const F g = random_floats(s.output_size(), 2);
            F y(static_cast<size_t>(s.output_size())), gx(x.size());
            max_pool2x2_forward_reference(s, x.data(), y.data());
            max_pool2x2_backward_reference(s, x.data(), g.data(), gx.data());
            // dx starts as garbage: backward must write every input, the dropped odd row and column too.
            DeviceArray<float> dx(be, x), dy(be, y.size()), dg(be, g), dgx(be, F(gx.size(), 7.0f));
            be.max_pool2x2_forward(s, dx.get(), dy.get());
            be.max_pool2x2_backward(s, dx.get(), dg.get(), dgx.get());
            EXPECT_TRUE(all_close(dy.host(), y, 0.0));
            EXPECT_TRUE(all_close(dgx.host(), gx, 0.0));
          }};
}

// Any number of inputs; the input given a null gradient (the last, when there are several) must
// not be written.
OpCase concat_case(std::string name, int64_t n, std::vector<int64_t> channels, int64_t hw) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const ConcatShape s{n, hw, channels};
            const size_t k = channels.size();
            std::vector<F> xs, gxs;
            for (size_t j = 0; j < k; ++j) {
              xs.push_back(random_floats(n * channels[j] * hw, 1 + j));
              gxs.emplace_back(xs.back().size());
            }
            const F g = random_floats(s.output_size(), 99);
            std::vector<const float*> hx;
            std::vector<float*> hg;
            for (size_t j = 0; j < k; ++j) hx.push_back(xs[j].data()), hg.push_back(gxs[j].data());
            F y(g.size());
            concat_channels_forward_reference(s, hx.data(), y.data());
            concat_channels_backward_reference(s, g.data(), hg.data());
            std::deque<DeviceArray<float>> dxs, dgxs;  // not movable: a deque never moves them
            std::vector<const float*> px;
            std::vector<float*> pg;
            for (size_t j = 0; j < k; ++j) {
              dxs.emplace_back(be, xs[j]);
              dgxs.emplace_back(be, F(xs[j].size(), 7.0f));
              px.push_back(dxs.back().get());
              pg.push_back(k > 1 && j == k - 1 ? nullptr : dgxs.back().get());
            }
            DeviceArray<float> dy(be, y.size()), dg(be, g);
            be.concat_channels_forward(s, px.data(), dy.get());
            be.concat_channels_backward(s, dg.get(), pg.data());
            EXPECT_TRUE(all_close(dy.host(), y, 0.0));
            for (size_t j = 0; j < k; ++j) {
              if (pg[j]) EXPECT_TRUE(all_close(dgxs[j].host(), gxs[j], 0.0)) << "dx " << j;
              else EXPECT_TRUE(all_close(dgxs[j].host(), F(xs[j].size(), 7.0f), 0.0)) << "unwanted dx " << j;
            }
          }};
}

OpCase upsample_case(std::string name, int64_t planes, int64_t h, int64_t w) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(planes * h * w, 1), g = random_floats(planes * 4 * h * w, 2);
            F y(g.size()), gx(x.size());
            upsample2x_forward_reference(x.data(), y.data(), planes, h, w);
            upsample2x_backward_reference(g.data(), gx.data(), planes, h, w);
            DeviceArray<float> dx(be, x), dy(be, y.size()), dg(be, g), dgx(be, x.size());
            be.upsample2x_forward(dx.get(), dy.get(), planes, h, w);
            be.upsample2x_backward(dg.get(), dgx.get(), planes, h, w);
            EXPECT_TRUE(all_close(dy.host(), y, 0.0));
            EXPECT_TRUE(all_close(dgx.host(), gx, 1e-6));
          }};
}

OpCase softmax_case(std::string name, int64_t n, int64_t c, int64_t hw) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            F x = random_floats(n * c * hw, 1, -10.0f, 10.0f);
            x[0] = 80.0f;  // exp would overflow without the max shift
            F y(x.size());
            softmax_channels_reference(x.data(), y.data(), n, c, hw);
            DeviceArray<float> dx(be, x), dy(be, y.size());
            be.softmax_channels(dx.get(), dy.get(), n, c, hw);
            EXPECT_TRUE(all_close(dy.host(), y, 1e-6));
          }};
}

// ---- loss and optimiser -------------------------------------------------------------------
OpCase ce_case(std::string name, CrossEntropyShape s, bool weights, double ignore_fraction) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F z = random_floats(s.n * s.c * s.hw, 1, -4.0f, 4.0f), w = random_floats(s.c, 2, 0.2f, 3.0f);
            std::vector<uint8_t> labels(static_cast<size_t>(s.n * s.hw));
            const F u = random_floats(s.n * s.hw, 3, 0.0f, 1.0f);
            for (size_t i = 0; i < labels.size(); ++i)
              labels[i] = u[i] < ignore_fraction ? kIgnoreLabel : static_cast<uint8_t>(i * 7 % s.c);
            F g(z.size());
            const float loss = cross_entropy_reference(s, z.data(), labels.data(), weights ? w.data() : nullptr, g.data());
            DeviceArray<float> dz(be, z), dw(be, w), dg(be, g.size());
            DeviceArray<uint8_t> dl(be, labels);
            const float got = be.cross_entropy(s, dz.get(), dl.get(), weights ? dw.get() : nullptr, dg.get());
            EXPECT_NEAR(got, loss, 1e-5 * std::max(1.0f, std::fabs(loss)));
            EXPECT_TRUE(all_close(dg.host(), g, kTol));
            // The loss alone (no dlogits, as validation calls it), the same bits run to run.
            EXPECT_EQ(be.cross_entropy(s, dz.get(), dl.get(), weights ? dw.get() : nullptr, nullptr), got);
            if (ignore_fraction >= 1.0) {
              EXPECT_EQ(got, 0.0f) << "an all-ignored batch has loss 0";
            }
          }};
}

// A label that is neither a class nor 255 is an Error naming the first such label, as the reference's.
OpCase ce_bad_label_case(std::string name) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const CrossEntropyShape s{2, 4, 300, 0.0f};
            const F z = random_floats(s.n * s.c * s.hw, 1);
            std::vector<uint8_t> labels(static_cast<size_t>(s.n * s.hw), kIgnoreLabel);
            labels[3] = 2, labels[400] = 17, labels[500] = 9;
            DeviceArray<float> dz(be, z), dg(be, z.size());
            DeviceArray<uint8_t> dl(be, labels);
            try {
              be.cross_entropy(s, dz.get(), dl.get(), nullptr, dg.get());
              ADD_FAILURE() << "no error for label 17";
            } catch (const Error& e) {
              EXPECT_NE(std::string(e.what()).find("label 17 is not a class (0..3)"), std::string::npos) << e.what();
            }
          }};
}

OpCase adam_case(std::string name, AdamHyper h) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const int64_t count = 1000;
            F p = random_floats(count, 1), m = random_floats(count, 2, -0.1f, 0.1f),
              v = random_floats(count, 3, 0.0f, 0.01f);
            const F g = random_floats(count, 4);
            DeviceArray<float> dp(be, p), dm(be, m), dv(be, v), dg(be, g);
            adam_step_reference(h, p.data(), g.data(), m.data(), v.data(), count);
            be.adam_step(h, dp.get(), dg.get(), dm.get(), dv.get(), count);
            EXPECT_TRUE(all_close(dp.host(), p, 1e-6)) << "param";
            EXPECT_TRUE(all_close(dm.host(), m, 1e-6)) << "m";
            EXPECT_TRUE(all_close(dv.host(), v, 1e-6)) << "v";
          }};
}

OpCase elementwise_case(std::string name, int64_t count) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            F y = random_floats(count, 1);
            const F x = random_floats(count, 2);
            DeviceArray<float> dy(be, y), dx(be, x);
            add_inplace_reference(y.data(), x.data(), count);
            be.add_inplace(dy.get(), dx.get(), count);
            EXPECT_TRUE(all_close(dy.host(), y, 0.0));
            F bad = x;
            bad[3] = NAN, bad[7] = INFINITY, bad[static_cast<size_t>(count - 1)] = -INFINITY;
            DeviceArray<float> dbad(be, bad);
            EXPECT_EQ(be.count_nonfinite(dbad.get(), count), count_nonfinite_reference(bad.data(), count));
            EXPECT_EQ(be.count_nonfinite(dbad.get(), count), 3);
            EXPECT_EQ(be.count_nonfinite(dx.get(), count), 0);
            be.fill(dy.get(), 0.25f, count);
            EXPECT_TRUE(all_close(dy.host(), F(static_cast<size_t>(count), 0.25f), 0.0));
          }};
}

// ---- input normalisation (uint16 DN in, float out) ------------------------------------------
OpCase normalize_case(std::string name, NormalizationMode mode, int64_t batch, int64_t bands, int64_t pixels) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            std::vector<uint16_t> dn(static_cast<size_t>(batch * bands * pixels));
            uint32_t state = 12345;
            for (auto& v : dn) v = static_cast<uint16_t>((state = state * 1664525u + 1013904223u) >> 16);
            if (!dn.empty()) dn.front() = 0, dn.back() = 65535;  // the range's ends
            BandNormalization norm;
            norm.mode = mode;
            for (int64_t b = 0; b < bands; ++b) {
              norm.a.push_back(mode == NormalizationMode::standard ? 1000.0f + 100.0f * b : 1.7f + 0.05f * b);
              norm.b.push_back(mode == NormalizationMode::standard ? 500.0f + 10.0f * b : 2.0f + 0.1f * b);
            }
            F want(dn.size());
            normalize_bands_reference(dn.data(), want.data(), norm, batch, pixels);
            DeviceArray<uint16_t> ddn(be, dn);
            DeviceArray<float> dout(be, want.size());
            be.normalize_bands(ddn.get(), dout.get(), norm, batch, pixels);
            EXPECT_TRUE(all_close(dout.host(), want, kTol));
            // Other parameters on the same backend are followed (CUDA keeps them on the device and
            // uploads a change), and the first ones again cost no allocation.
            BandNormalization other = norm;
            for (float& v : other.b) v *= 2.0f;
            F want_other(dn.size());
            normalize_bands_reference(dn.data(), want_other.data(), other, batch, pixels);
            DeviceArray<float> dother(be, want.size());
            be.normalize_bands(ddn.get(), dother.get(), other, batch, pixels);
            EXPECT_TRUE(all_close(dother.host(), want_other, kTol)) << "changed parameters";
            const int64_t allocations = be.allocation_count();
            be.normalize_bands(ddn.get(), dout.get(), norm, batch, pixels);
            be.normalize_bands(ddn.get(), dout.get(), norm, batch, pixels);
            EXPECT_TRUE(all_close(dout.host(), want, kTol)) << "the first parameters again";
            EXPECT_EQ(be.allocation_count(), allocations);
          }};
}

// ---- bilinear resize and channel L2 normalisation (Dynamic World) ---------------------------
// Forward and backward against the reference; dx starts as garbage, so backward must write every
// input (those no output reads, too).
OpCase resize_case(std::string name, ResizeShape s) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(s.input_size(), 1), g = random_floats(s.output_size(), 2);
            F y(g.size()), gx(x.size());
            resize_bilinear_forward_reference(s, x.data(), y.data());
            resize_bilinear_backward_reference(s, g.data(), gx.data());
            DeviceArray<float> dx(be, x), dy(be, F(y.size(), 7.0f)), dg(be, g), dgx(be, F(gx.size(), 7.0f));
            be.resize_bilinear_forward(s, dx.get(), dy.get());
            be.resize_bilinear_backward(s, dg.get(), dgx.get());
            EXPECT_TRUE(all_close(dy.host(), y, kTol)) << "y";
            EXPECT_TRUE(all_close(dgx.host(), gx, kTol)) << "dx";
          }};
}

// zero_pixel: pixel 3 of image 0 is 0 in every channel (the eps branch: y = 0, dx = dy / sqrt(eps)),
// and pixel 5 tiny (sum of squares below eps). Those pixels' gradients are ~1e6 times the others',
// so they are compared apart, each group to its own scale.
OpCase l2_case(std::string name, int64_t n, int64_t c, int64_t hw, bool zero_pixel) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const L2NormalizeShape s{n, c, hw, 1e-12f};
            F x = random_floats(s.size(), 1, -2.0f, 2.0f);
            const F g = random_floats(s.size(), 2);
            const int64_t special[] = {3, 5};
            if (zero_pixel)
              for (int64_t k = 0; k < c; ++k) x[k * hw + 3] = 0.0f, x[k * hw + 5] = 1e-8f;
            F y(x.size()), gx(x.size());
            l2_normalize_forward_reference(s, x.data(), y.data());
            l2_normalize_backward_reference(s, x.data(), g.data(), gx.data());
            DeviceArray<float> dx(be, x), dy(be, y.size()), dg(be, g), dgx(be, F(gx.size(), 7.0f));
            be.l2_normalize_forward(s, dx.get(), dy.get());
            be.l2_normalize_backward(s, dx.get(), dg.get(), dgx.get());
            EXPECT_TRUE(all_close(dy.host(), y, kTol)) << "y";
            const F got = dgx.host();
            F got_plain, want_plain, got_eps, want_eps;
            for (size_t i = 0; i < got.size(); ++i) {
              const auto pixel = static_cast<int64_t>(i) % hw;
              const bool eps = zero_pixel && i < static_cast<size_t>(c * hw) && (pixel == special[0] || pixel == special[1]);
              (eps ? got_eps : got_plain).push_back(got[i]);
              (eps ? want_eps : want_plain).push_back(gx[i]);
            }
            EXPECT_TRUE(all_close(got_plain, want_plain, kTol)) << "dx";
            if (zero_pixel) {
              EXPECT_TRUE(all_close(got_eps, want_eps, kTol)) << "dx in the eps branch";
              EXPECT_EQ(y[3], 0.0f);
              EXPECT_NEAR(gx[3], g[3] * 1e6f, 1.0f) << "dy / sqrt(eps)";
            }
          }};
}

// resize_axis against PyTorch's weights (tests/golden/resize_axis_torch.txt, written by
// scripts/resize_axis_torch.py), each axis in float64 and float32; the largest differences are
// printed. The differences are the float rounding of the sample positions p < in, which
// resize_axis rounds as TensorFlow does (float throughout) and PyTorch otherwise (a float scale,
// then double), so a weight can be off by about ulp(in): the bound is (in + 1) * 2^-22.
TEST(ResizeAxis, MatchesPyTorchWeights) {
  std::ifstream in(STRATA_SOURCE_DIR "/tests/golden/resize_axis_torch.txt");
  ASSERT_TRUE(in) << "tests/golden/resize_axis_torch.txt";
  int axes = 0;
  double overall[2] = {0.0, 0.0};  // float64, float32
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream header(line);
    std::string word;
    int64_t n_in = 0, n_out = 0, entries = 0;
    int antialias = 0, bits = 0;
    header >> word >> n_in >> n_out >> antialias >> bits >> entries;
    ASSERT_EQ(word, "axis") << line;
    ASSERT_TRUE(bits == 32 || bits == 64) << line;
    std::vector<double> want(static_cast<size_t>(n_in * n_out), 0.0), got(want.size(), 0.0);
    for (int64_t e = 0; e < entries; ++e) {
      int64_t i = 0, j = 0;
      double v = 0.0;
      ASSERT_TRUE(in >> i >> j >> v) << "axis " << n_in << " -> " << n_out;
      want[static_cast<size_t>(i * n_in + j)] = bits == 32 ? static_cast<float>(v) : v;  // 9 digits: the float
    }
    in >> std::ws;
    const ResizeAxis a = resize_axis(n_in, n_out, antialias != 0);
    for (int64_t i = 0; i < n_out; ++i)
      for (int64_t k = 0; k < a.count[i]; ++k)
        got[static_cast<size_t>(i * n_in + a.first[i] + k)] += a.weight[static_cast<size_t>(a.offset[i] + k)];
    double worst = 0.0;
    for (size_t k = 0; k < want.size(); ++k) worst = std::max(worst, std::fabs(got[k] - want[k]));
    std::printf("resize_axis %3lld -> %3lld antialias=%d: max |ours - torch float%d| = %.3g\n",
                static_cast<long long>(n_in), static_cast<long long>(n_out), antialias, bits, worst);
    const double bound = std::ldexp(static_cast<double>(n_in + 1), -22);
    EXPECT_LE(worst, bound) << n_in << " -> " << n_out << " antialias " << antialias << " float" << bits;
    overall[bits == 32] = std::max(overall[bits == 32], worst);
    ++axes;
  }
  EXPECT_EQ(axes, 28);
  std::printf("resize_axis over %d axes: max |ours - torch| = %.3g (float64), %.3g (float32)\n", axes, overall[0],
              overall[1]);
}

// Known weights, sums of 1, and the transpose holding the same weights.
TEST(ResizeAxis, WeightsSumToOneAndTransposeAgrees) {
  const ResizeAxis down = resize_axis(128, 64, true);  // scale 2: the triangle of radius 2
  EXPECT_EQ(down.first[10], 19);
  ASSERT_EQ(down.count[10], 4);
  for (int k = 0; k < 4; ++k) EXPECT_FLOAT_EQ(down.weight[down.offset[10] + k], (k == 0 || k == 3 ? 1.0f : 3.0f) / 8.0f);
  const ResizeAxis up = resize_axis(64, 128, false);  // p = i / 2 - 0.25
  EXPECT_EQ(up.first[5], 2);
  ASSERT_EQ(up.count[5], 2);
  EXPECT_FLOAT_EQ(up.weight[up.offset[5]], 0.75f);  // p = 2.25
  EXPECT_FLOAT_EQ(up.weight[up.offset[5] + 1], 0.25f);
  EXPECT_EQ(up.count[0], 1) << "clamped at the border";
  for (const auto& [n_in, n_out] : {std::pair<int64_t, int64_t>{120, 60}, {37, 18}, {53, 26}, {18, 37}, {64, 64},
                                    {1, 3}, {5, 1}, {7, 300}, {300, 7}})
    for (bool antialias : {false, true}) {
      const ResizeAxis a = resize_axis(n_in, n_out, antialias), t = resize_axis_transpose(a, n_in);
      ASSERT_EQ(t.first.size(), static_cast<size_t>(n_in));
      for (int64_t i = 0; i < n_out; ++i) {
        double sum = 0.0;
        for (int64_t k = 0; k < a.count[i]; ++k) {
          const int64_t j = a.first[i] + k;
          ASSERT_TRUE(j >= 0 && j < n_in);
          const float w = a.weight[a.offset[i] + k];
          sum += w;
          ASSERT_TRUE(i >= t.first[j] && i < t.first[j] + t.count[j]);
          EXPECT_EQ(t.weight[t.offset[j] + i - t.first[j]], w);
        }
        EXPECT_NEAR(sum, 1.0, 1e-6) << n_in << " -> " << n_out << " output " << i;
      }
    }
}

// ---- depthwise convolution, Mish, add (Dynamic World) ------------------------------------------
// Outputs start as garbage (7): every op must write all of its output.
OpCase dw_forward(std::string name, DepthwiseConv2dShape s, bool bias) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(s.size(), 1), w = random_floats(s.weight_size(), 2), b = random_floats(s.c, 3);
            F want(static_cast<size_t>(s.size()));
            depthwise_conv2d_forward_reference(s, x.data(), w.data(), bias ? b.data() : nullptr, want.data());
            DeviceArray<float> dx(be, x), dw(be, w), db(be, b), dy(be, F(want.size(), 7.0f));
            be.depthwise_conv2d_forward(s, dx.get(), dw.get(), bias ? db.get() : nullptr, dy.get());
            EXPECT_TRUE(all_close(dy.host(), want, kTol));
          }};
}

// All three gradients, then dx alone, dw and db without dx, and db alone: what is not wanted is
// neither computed nor written.
OpCase dw_backward(std::string name, DepthwiseConv2dShape s) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = random_floats(s.size(), 1), w = random_floats(s.weight_size(), 2),
                    g = random_floats(s.size(), 4);
            F gx(x.size()), gw(w.size()), gb(static_cast<size_t>(s.c));
            depthwise_conv2d_backward_reference(s, x.data(), w.data(), g.data(), gx.data(), gw.data(), gb.data());
            DeviceArray<float> dx(be, x), dw(be, w), dg(be, g), ogx(be, F(gx.size(), 7.0f)),
                ogw(be, F(gw.size(), 7.0f)), ogb(be, F(gb.size(), 7.0f));
            be.depthwise_conv2d_backward(s, dx.get(), dw.get(), dg.get(), ogx.get(), ogw.get(), ogb.get());
            EXPECT_TRUE(all_close(ogx.host(), gx, kTol)) << "dx";
            EXPECT_TRUE(all_close(ogw.host(), gw, kTol)) << "dw";
            EXPECT_TRUE(all_close(ogb.host(), gb, kTol)) << "db";
            DeviceArray<float> only_dx(be, F(gx.size(), 7.0f));
            be.depthwise_conv2d_backward(s, dx.get(), dw.get(), dg.get(), only_dx.get(), nullptr, nullptr);
            EXPECT_TRUE(all_close(only_dx.host(), gx, kTol)) << "dx alone";
            DeviceArray<float> no_dx_w(be, F(gw.size(), 7.0f)), no_dx_b(be, F(gb.size(), 7.0f)),
                only_db(be, F(gb.size(), 7.0f));
            be.depthwise_conv2d_backward(s, dx.get(), dw.get(), dg.get(), nullptr, no_dx_w.get(), no_dx_b.get());
            EXPECT_TRUE(all_close(no_dx_w.host(), gw, kTol)) << "dw without dx";
            EXPECT_TRUE(all_close(no_dx_b.host(), gb, kTol)) << "db without dx";
            be.depthwise_conv2d_backward(s, dx.get(), dw.get(), dg.get(), nullptr, nullptr, only_db.get());
            EXPECT_TRUE(all_close(only_db.host(), gb, kTol)) << "db alone";
          }};
}

// Mish's inputs: the edges first (zeros, the switch to y = x at 20 either side, where t rounds to
// 1 in float (8.7), the minimum (-1.19), float's exp range ends (+-87, +-88), +-100), a third of
// the rest sweeping the curved part [-12, 12], the others uniform over [-100, 100].
F mish_inputs(int64_t count) {
  F x = random_floats(count, 11, -100.0f, 100.0f);
  const float edges[] = {0.0f,    -0.0f,   1e-30f, -1e-30f, 19.999f, 20.0f,  20.001f, 8.7f,   -1.19f, -20.0f,
                         -40.0f,  -87.0f,  -87.5f, -88.0f,  87.0f,   88.0f,  89.0f,   -100.0f, 100.0f};
  size_t i = 0;
  for (float v : edges)
    if (i < x.size()) x[i++] = v;
  const size_t sweep = (x.size() - i) / 3;
  for (size_t j = 0; j < sweep; ++j) x[i + j] = -12.0f + 24.0f * static_cast<float>(j) / static_cast<float>(sweep);
  return x;
}

// |got - want| <= tol * |scale| + floor element by element; names the worst element.
::testing::AssertionResult close_each(const F& got, const F& want, const F& scale, double tol, double floor) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  double worst = 0.0;  // as a fraction of the element's tolerance
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::isnan(got[i]) != std::isnan(want[i]) ? INFINITY
                     : std::isnan(got[i])                       ? 0.0
                                                                : std::fabs(static_cast<double>(got[i]) - want[i]);
    const double r = d / (tol * std::fabs(static_cast<double>(scale[i])) + floor);
    if (r > worst) worst = r, at = i;
  }
  if (worst <= 1.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "element " << at << ": got " << got[at] << ", want " << want[at] << " ("
                                       << worst << " times the tolerance " << tol << " * " << std::fabs(scale[at])
                                       << " + " << floor << ")";
}

// The fast path and CUDA in float against the double reference: y within 1e-6 of |y| (float's
// exp and a few roundings come to about 5e-7; 1e-35 absolute covers x < -87, where the AVX-512 exp
// stops at e^-87 and both sides are below 2e-36), dx within 1e-6 of |dy| (the slope is O(1), and
// its two terms cancel near the minimum, x = -1.19, so its error cannot be relative to itself).
// in_place: y over x, dx over dy.
OpCase mish_case(std::string name, int64_t count, bool in_place) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F x = mish_inputs(count), g = random_floats(count, 5, -2.0f, 2.0f);
            F y(x.size()), gx(x.size());
            mish_forward_reference(x.data(), y.data(), count);
            mish_backward_reference(x.data(), g.data(), gx.data(), count);
            DeviceArray<float> dx(be, x), dg(be, g), dy(be, F(x.size(), 7.0f)), dgx(be, F(x.size(), 7.0f));
            if (in_place) {
              DeviceArray<float> xy(be, x);
              be.mish_forward(xy.get(), xy.get(), count);
              EXPECT_TRUE(close_each(xy.host(), y, y, 1e-6, 1e-35)) << "y over x";
              be.mish_backward(dx.get(), dg.get(), dg.get(), count);
              EXPECT_TRUE(close_each(dg.host(), gx, g, 1e-6, 1e-35)) << "dx over dy";
            } else {
              be.mish_forward(dx.get(), dy.get(), count);
              be.mish_backward(dx.get(), dg.get(), dgx.get(), count);
              EXPECT_TRUE(close_each(dy.host(), y, y, 1e-6, 1e-35)) << "y";
              EXPECT_TRUE(close_each(dgx.host(), gx, g, 1e-6, 1e-35)) << "dx";
              EXPECT_EQ(dx.host(), x) << "x is not written";
            }
            const F got = dy.host();
            if (!in_place && count > 19) {  // y = x past the switch, exactly; Mish(0) = 0
              EXPECT_EQ(got[6], x[6]);
              EXPECT_EQ(got[18], 100.0f);
              EXPECT_EQ(got[0], 0.0f);
            }
          }};
}

// y = a + b into a third array, over a, and over b.
OpCase add_case(std::string name, int64_t count) {
  return {std::move(name), [=](Backend& be, const Precision&) {
            const F a = random_floats(count, 1), b = random_floats(count, 2);
            F want(a.size());
            add_reference(a.data(), b.data(), want.data(), count);
            DeviceArray<float> da(be, a), db(be, b), dy(be, F(a.size(), 7.0f));
            be.add(da.get(), db.get(), dy.get(), count);
            EXPECT_TRUE(all_close(dy.host(), want, 0.0)) << "y";
            be.add(da.get(), db.get(), da.get(), count);
            EXPECT_TRUE(all_close(da.host(), want, 0.0)) << "y over a";
            DeviceArray<float> a2(be, a);
            be.add(a2.get(), db.get(), db.get(), count);
            EXPECT_TRUE(all_close(db.host(), want, 0.0)) << "y over b";
          }};
}

std::vector<OpCase> all_cases() {
  auto conv = [](int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t k, int64_t s) {
    return Conv2dShape{n, ci, h, w, co, k, s};
  };
  auto conv_act = [](int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t k, int64_t s, Activation a) {
    return Conv2dShape{n, ci, h, w, co, k, s, a};
  };
  auto dw_act = [](DepthwiseConv2dShape d, Activation a) {
    d.act = a;
    return d;
  };
  constexpr Activation kMish = Activation::mish, kRelu = Activation::relu;
  auto convt = [](int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t k, int64_t s, int64_t p) {
    return ConvTranspose2dShape{n, ci, h, w, co, k, s, p};
  };
  return {
      conv_forward("conv2d_fwd_k3_s1", conv(2, 3, 9, 7, 4, 3, 1), true),
      conv_forward("conv2d_fwd_k3_s2_odd", conv(2, 3, 9, 7, 5, 3, 2), true),
      conv_forward("conv2d_fwd_k3_s2_even", conv(1, 4, 8, 10, 3, 3, 2), false),
      conv_forward("conv2d_fwd_k5_s1", conv(2, 13, 11, 12, 6, 5, 1), true),
      conv_forward("conv2d_fwd_k5_larger_than_image", conv(1, 2, 2, 3, 3, 5, 1), true),
      conv_forward("conv2d_fwd_k1", conv(3, 16, 5, 6, 9, 1, 1), true),
      conv_forward("conv2d_fwd_k1_s2", conv(1, 4, 5, 6, 3, 1, 2), true),
      conv_forward("conv2d_fwd_1x1_image", conv(2, 3, 1, 1, 4, 3, 1), true),
      // Rows wider than the fast path's cache band: lowered and multiplied a few rows at a time.
      conv_forward("conv2d_fwd_banded", conv(2, 64, 5, 300, 4, 3, 1), true),
      conv_forward("conv2d_fwd_banded_s2", conv(1, 64, 7, 601, 3, 3, 2), true),
      conv_backward("conv2d_bwd_banded", conv(2, 64, 5, 300, 4, 3, 1)),
      conv_backward("conv2d_bwd_banded_s2", conv(1, 64, 7, 601, 3, 3, 2)),
      conv_backward("conv2d_bwd_k3_s1", conv(2, 3, 9, 7, 4, 3, 1)),
      // c_in * k * k a multiple of 8: the AVX-512 GEMM computes dW and dx where present.
      conv_forward("conv2d_fwd_c_out_multiple_of_8", conv(2, 8, 9, 7, 16, 3, 1), true),
      conv_forward("conv2d_fwd_c_out_8_plus_5", conv(2, 4, 9, 7, 13, 3, 1), true),
      conv_forward("conv2d_fwd_k1_c_out_16", conv(2, 8, 5, 6, 16, 1, 1), true),
      conv_backward("conv2d_bwd_kk_multiple_of_8", conv(2, 8, 9, 7, 5, 3, 1)),
      conv_backward("conv2d_bwd_kk_multiple_of_8_s2", conv(1, 16, 9, 11, 40, 3, 2)),
      conv_backward("conv2d_bwd_k3_s2_odd", conv(2, 3, 9, 7, 5, 3, 2)),
      conv_backward("conv2d_bwd_k5_s1", conv(2, 13, 11, 12, 6, 5, 1)),
      conv_backward("conv2d_bwd_k5_larger_than_image", conv(1, 2, 2, 3, 3, 5, 1)),
      conv_backward("conv2d_bwd_k1", conv(3, 16, 5, 6, 9, 1, 1)),
      conv_backward("conv2d_bwd_k1_s2", conv(1, 4, 5, 6, 3, 1, 2)),
      // Several 64 x 64 tiles of the CUDA products with ragged edges, and a weight gradient whose
      // sum over the batch is split across blocks.
      conv_forward("conv2d_fwd_multi_tile_odd", conv(3, 19, 23, 21, 70, 3, 1), true),
      // 3x3 stride 1 runs as Winograd F(2x2, 3x3) on AVX-512: 16 tiles a vector (w = 32 is one
      // full vector, 34 one and a lane), one tile row a band when the rows are wide.
      conv_forward("conv2d_fwd_winograd_vector_edges", conv(2, 5, 7, 34, 9, 3, 1), true),
      conv_forward("conv2d_fwd_winograd_one_vector", conv(1, 6, 6, 32, 8, 3, 1), true),
      conv_forward("conv2d_fwd_winograd_many_bands", conv(1, 64, 9, 301, 64, 3, 1), true),
      conv_backward("conv2d_bwd_winograd_vector_edges", conv(2, 5, 7, 34, 9, 3, 1)),
      conv_backward("conv2d_bwd_winograd_many_bands", conv(1, 64, 9, 301, 64, 3, 1)),
      conv_backward("conv2d_bwd_multi_tile_split_k", conv(4, 16, 33, 31, 70, 3, 2)),
      // The activation epilogue (Conv2dShape::act): pointwise in column blocks (c_out 64: 2048 pixels a
      // block, 6300 pixels = three and a part), the 9-class head and 13 channels (rows past the last
      // multiple of 8 in a narrower tile of the AVX-512 GEMM), Winograd (in the output transform),
      // im2col bands (5x5, stride 2, banded), on CUDA the elementwise kernel after the product.
      conv_forward("conv2d_fwd_k1_mish_blocks", conv_act(1, 8, 70, 90, 64, 1, 1, kMish), true),
      conv_forward("conv2d_fwd_k1_relu", conv_act(2, 16, 37, 45, 24, 1, 1, kRelu), true),
      conv_forward("conv2d_fwd_k1_mish_no_bias", conv_act(3, 16, 5, 6, 16, 1, 1, kMish), false),
      conv_forward("conv2d_fwd_k1_c_out_9", conv_act(2, 144, 17, 19, 9, 1, 1, Activation::none), true),
      conv_forward("conv2d_fwd_k1_c_out_9_mish", conv_act(2, 144, 17, 19, 9, 1, 1, kMish), true),
      conv_forward("conv2d_fwd_k1_c_out_13_mish", conv_act(2, 24, 33, 35, 13, 1, 1, kMish), true),
      conv_forward("conv2d_fwd_k1_c_out_3_relu", conv_act(1, 5, 9, 70, 3, 1, 1, kRelu), true),
      conv_forward("conv2d_fwd_winograd_mish", conv_act(2, 5, 7, 34, 9, 3, 1, kMish), true),
      conv_forward("conv2d_fwd_winograd_relu_c_out_13", conv_act(1, 6, 9, 33, 13, 3, 1, kRelu), true),
      conv_forward("conv2d_fwd_winograd_mish_many_bands", conv_act(1, 16, 9, 301, 24, 3, 1, kMish), true),
      conv_forward("conv2d_fwd_k5_mish", conv_act(2, 13, 11, 12, 6, 5, 1, kMish), true),
      conv_forward("conv2d_fwd_k3_s2_relu", conv_act(2, 3, 9, 7, 5, 3, 2, kRelu), true),
      conv_forward("conv2d_fwd_banded_s2_mish", conv_act(1, 64, 7, 601, 3, 3, 2, kMish), true),
      conv_forward("conv2d_fwd_k5_c_out_9_mish", conv_act(1, 8, 12, 40, 9, 5, 1, kMish), true),
      conv_backward_refuses_act("conv2d_bwd_act_is_an_error", conv_act(1, 2, 4, 5, 3, 3, 1, kMish),
                                DepthwiseConv2dShape{1, 2, 4, 5, 3, kRelu}),
      convt_forward("conv_transpose2d_fwd_k5_s1_p2", convt(2, 8, 7, 9, 5, 5, 1, 2)),
      convt_forward("conv_transpose2d_fwd_k2_s2", convt(2, 8, 5, 6, 4, 2, 2, 0)),
      convt_forward("conv_transpose2d_fwd_k3_s2_p1", convt(1, 3, 4, 5, 2, 3, 2, 1)),
      convt_backward("conv_transpose2d_bwd_k5_s1_p2", convt(2, 8, 7, 9, 5, 5, 1, 2)),
      convt_backward("conv_transpose2d_bwd_k2_s2", convt(2, 8, 5, 6, 4, 2, 2, 0)),
      convt_backward("conv_transpose2d_bwd_k3_s2_p1", convt(1, 3, 4, 5, 2, 3, 2, 1)),
      convt_forward("conv_transpose2d_fwd_k5_s1_p2_kk_multiple_of_8", convt(2, 16, 7, 9, 8, 5, 1, 2)),
      convt_backward("conv_transpose2d_bwd_k5_s1_p2_c_in_multiple_of_8", convt(2, 16, 7, 9, 8, 5, 1, 2)),
      convt_forward("conv_transpose2d_fwd_k2_s2_multi_tile", convt(2, 70, 9, 11, 33, 2, 2, 0)),
      convt_backward("conv_transpose2d_bwd_k2_s2_multi_tile", convt(2, 70, 9, 11, 33, 2, 2, 0)),
      bn_train("batch_norm_train", BatchNormShape{3, 5, 37, 1e-5f, 0.1f}),
      bn_train("batch_norm_train_single_pixel_batch", BatchNormShape{2, 3, 1, 1e-3f, 0.3f}),
      bn_eval("batch_norm_eval", BatchNormShape{2, 4, 29, 1e-5f, 0.1f}),
      bn_train("batch_norm_train_many_chunks", BatchNormShape{3, 2, 9000, 1e-5f, 0.1f}),
      bn_train("batch_norm_relu_train", BatchNormShape{3, 5, 37, 1e-5f, 0.1f, true}),
      bn_train("batch_norm_relu_train_many_chunks", BatchNormShape{3, 2, 9000, 1e-5f, 0.1f, true}),
      bn_train("batch_norm_relu_train_in_place", BatchNormShape{3, 5, 37, 1e-5f, 0.1f, true}, true),
      bn_eval("batch_norm_relu_eval", BatchNormShape{2, 4, 29, 1e-5f, 0.1f, true}),
      bn_fold("batch_norm_fold", 6, 27),
      relu_case("relu", 1001),
      relu_case("relu_1", 1),
      // More than the grid's 65,536 blocks of 256 hold: the grid-stride loops must cover the rest.
      relu_case("relu_past_65536_blocks", 65536LL * 256 + 4097),
      pool_case("max_pool2x2_even", PoolShape{2, 3, 8, 6}),
      pool_case("max_pool2x2_odd", PoolShape{1, 2, 7, 5}),
      pool_case("max_pool2x2_2x2", PoolShape{1, 1, 2, 2}),
      pool_case("max_pool2x2_wide_odd", PoolShape{2, 3, 5, 67}),
      concat_case("concat_channels", 2, {3, 5}, 17),
      concat_case("concat_channels_1px", 1, {1, 2}, 1),
      concat_case("concat_channels_one_input", 2, {4}, 9),
      concat_case("concat_channels_three_inputs", 3, {2, 5, 1}, 13),
      upsample_case("upsample2x", 6, 5, 7),
      upsample_case("upsample2x_1x1", 3, 1, 1),
      softmax_case("softmax_channels", 2, 9, 31),
      softmax_case("softmax_channels_many_blocks", 3, 9, 1000),
      softmax_case("softmax_channels_one_class", 2, 1, 21),
      ce_case("cross_entropy_plain", CrossEntropyShape{2, 9, 50, 0.0f}, false, 0.0),
      ce_case("cross_entropy_weights_smoothing_ignore", CrossEntropyShape{3, 9, 40, 0.1f}, true, 0.3),
      ce_case("cross_entropy_all_ignored", CrossEntropyShape{1, 4, 10, 0.1f}, true, 1.0),
      ce_case("cross_entropy_many_blocks", CrossEntropyShape{3, 9, 1000, 0.05f}, true, 0.1),
      ce_case("cross_entropy_1px", CrossEntropyShape{1, 2, 1, 0.0f}, false, 0.0),
      ce_bad_label_case("cross_entropy_bad_label"),
      adam_case("adam_l2", AdamHyper{1e-2f, 0.9f, 0.999f, 1e-8f, 1e-2f, false, 3}),
      adam_case("adamw", AdamHyper{1e-2f, 0.9f, 0.999f, 1e-8f, 5e-2f, true, 1}),
      elementwise_case("fill_add_count_nonfinite", 777),
      elementwise_case("fill_add_count_nonfinite_large", 100003),
      normalize_case("normalize_standard_13x128x128", NormalizationMode::standard, 2, 13, 128 * 128),
      normalize_case("normalize_log_sigmoid_9x33x17", NormalizationMode::log_sigmoid, 3, 9, 33 * 17),
      normalize_case("normalize_1px", NormalizationMode::standard, 1, 1, 1),
      // More (sample, band) planes than gridDim.y's 65,535: launched in chunks of whole samples.
      normalize_case("normalize_past_65535_planes", NormalizationMode::log_sigmoid, 5100, 13, 2),
      // Depthwise: k 3 and 5, odd sizes, widths off the 16-lane vector (37, 19, 133), 1x1 images,
      // a kernel larger than the image, k 7 and 1 (the AVX-512 path's any-k form), bias and none.
      dw_forward("depthwise_fwd_k3", DepthwiseConv2dShape{2, 3, 9, 7, 3}, true),
      dw_forward("depthwise_fwd_k3_no_bias", DepthwiseConv2dShape{2, 3, 9, 7, 3}, false),
      dw_forward("depthwise_fwd_k5", DepthwiseConv2dShape{2, 4, 11, 12, 5}, true),
      dw_forward("depthwise_fwd_k3_width_37", DepthwiseConv2dShape{1, 5, 13, 37, 3}, true),
      dw_forward("depthwise_fwd_k5_width_19_no_bias", DepthwiseConv2dShape{3, 2, 6, 19, 5}, false),
      dw_forward("depthwise_fwd_k3_wide_133", DepthwiseConv2dShape{1, 3, 4, 133, 3}, true),
      dw_forward("depthwise_fwd_k3_1x1_image", DepthwiseConv2dShape{2, 3, 1, 1, 3}, true),
      dw_forward("depthwise_fwd_k5_1x1_image", DepthwiseConv2dShape{1, 4, 1, 1, 5}, true),
      dw_forward("depthwise_fwd_k5_larger_than_image", DepthwiseConv2dShape{2, 2, 2, 3, 5}, true),
      dw_forward("depthwise_fwd_k7", DepthwiseConv2dShape{1, 3, 10, 21, 7}, true),
      dw_forward("depthwise_fwd_k1", DepthwiseConv2dShape{2, 3, 5, 6, 1}, true),
      dw_forward("depthwise_fwd_k3_many_planes", DepthwiseConv2dShape{3, 33, 8, 16, 3}, true),
      // The activation epilogue: in registers with AVX-512 (k 3, 5, any), over the plane elsewhere.
      dw_forward("depthwise_fwd_k3_mish", dw_act(DepthwiseConv2dShape{2, 3, 9, 37, 3}, kMish), true),
      dw_forward("depthwise_fwd_k3_relu_no_bias", dw_act(DepthwiseConv2dShape{2, 3, 9, 7, 3}, kRelu), false),
      dw_forward("depthwise_fwd_k5_mish", dw_act(DepthwiseConv2dShape{2, 4, 11, 19, 5}, kMish), true),
      dw_forward("depthwise_fwd_k7_relu", dw_act(DepthwiseConv2dShape{1, 3, 10, 21, 7}, kRelu), true),
      dw_forward("depthwise_fwd_k1_mish", dw_act(DepthwiseConv2dShape{2, 3, 5, 6, 1}, kMish), true),
      dw_forward("depthwise_fwd_k3_mish_1x1_image", dw_act(DepthwiseConv2dShape{2, 3, 1, 1, 3}, kMish), true),
      dw_backward("depthwise_bwd_k3", DepthwiseConv2dShape{2, 3, 9, 7, 3}),
      dw_backward("depthwise_bwd_k5", DepthwiseConv2dShape{2, 4, 11, 12, 5}),
      dw_backward("depthwise_bwd_k3_width_37", DepthwiseConv2dShape{1, 5, 13, 37, 3}),
      dw_backward("depthwise_bwd_k5_width_19", DepthwiseConv2dShape{3, 2, 6, 19, 5}),
      dw_backward("depthwise_bwd_k3_1x1_image", DepthwiseConv2dShape{2, 3, 1, 1, 3}),
      dw_backward("depthwise_bwd_k5_larger_than_image", DepthwiseConv2dShape{2, 2, 2, 3, 5}),
      dw_backward("depthwise_bwd_k7", DepthwiseConv2dShape{1, 3, 10, 21, 7}),
      dw_backward("depthwise_bwd_k1", DepthwiseConv2dShape{2, 3, 5, 6, 1}),
      dw_backward("depthwise_bwd_k3_many_chunks", DepthwiseConv2dShape{4, 2, 64, 70, 3}),
      mish_case("mish", 4099, false),
      mish_case("mish_in_place", 4099, true),
      mish_case("mish_1", 1, false),
      mish_case("mish_15_in_place", 15, true),
      mish_case("mish_large", 100003, false),
      add_case("add", 777),
      add_case("add_1", 1),
      add_case("add_large", 100003),
      resize_case("resize_128_to_64_antialias", ResizeShape{2, 128, 128, 64, 64, true}),
      resize_case("resize_37x53_to_18x26_antialias", ResizeShape{3, 37, 53, 18, 26, true}),
      resize_case("resize_37x53_to_18x26_plain", ResizeShape{2, 37, 53, 18, 26, false}),
      resize_case("resize_18x26_to_37x53_plain", ResizeShape{3, 18, 26, 37, 53, false}),
      resize_case("resize_18x26_to_37x53_antialias", ResizeShape{2, 18, 26, 37, 53, true}),
      resize_case("resize_64_to_128_plain", ResizeShape{2, 64, 64, 128, 128, false}),
      resize_case("resize_1xN_antialias", ResizeShape{2, 1, 40, 1, 20, true}),
      resize_case("resize_Nx1_plain", ResizeShape{2, 40, 1, 81, 1, false}),
      resize_case("resize_1x1_to_3x5_plain", ResizeShape{2, 1, 1, 3, 5, false}),
      resize_case("resize_5x5_to_1x1_plain", ResizeShape{2, 5, 5, 1, 1, false}),  // dx 0 off the centre
      resize_case("resize_5x5_to_1x1_antialias", ResizeShape{2, 5, 5, 1, 1, true}),
      resize_case("resize_same_size_antialias", ResizeShape{2, 17, 23, 17, 23, true}),
      resize_case("resize_same_size_plain", ResizeShape{2, 17, 23, 17, 23, false}),
      resize_case("resize_many_planes", ResizeShape{7, 9, 11, 4, 5, true}),
      // Dynamic World's pair on odd sizes: down to floor(H/2) x floor(W/2) antialiased, back up plain.
      resize_case("resize_255x129_to_127x64_antialias", ResizeShape{3, 255, 129, 127, 64, true}),
      resize_case("resize_127x64_to_255x129_plain", ResizeShape{3, 127, 64, 255, 129, false}),
      l2_case("l2_normalize_c1", 2, 1, 77, false),
      l2_case("l2_normalize_c9_many_blocks", 2, 9, 1000, false),
      l2_case("l2_normalize_c144", 1, 144, 300, false),
      l2_case("l2_normalize_zero_pixel_c9", 2, 9, 31, true),
      l2_case("l2_normalize_zero_pixel_c1", 1, 1, 8, true),
      l2_case("l2_normalize_zero_pixel_c144", 1, 144, 40, true),
  };
}

struct Param {
  Device device;
  int threads;  // CPU threads; 3 splits the small test batches unevenly, and some threads idle
  ConvPrecision precision;
  size_t case_index;
};

void PrintTo(const Param& p, std::ostream* os) {
  *os << device_name(p.device) << " threads " << p.threads << " " << precision_name(p.precision) << " case "
      << p.case_index;
}

class BackendOps : public ::testing::TestWithParam<Param> {};

TEST_P(BackendOps, MatchesCpuReference) {
  const Param p = GetParam();
  const std::vector<OpCase> cases = all_cases();
  const OpCase& c = cases[p.case_index];
  if (p.device == Device::cuda) STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  std::unique_ptr<Backend> be =
      p.device == Device::cpu ? make_cpu_backend(p.threads) : make_backend(p.device, 0, p.precision);
  try {
    c.run(*be, Precision{p.precision, kTol});
  } catch (const Error& e) {
    if (std::string(e.what()).find("not implemented") != std::string::npos) GTEST_SKIP() << e.what();
    throw;
  }
}

std::vector<Param> all_params() {
  std::vector<Param> out;
  const std::vector<OpCase> cases = all_cases();
  // The cuda cases exist where this program has a CUDA backend (nvcc's, or the emulator's in
  // test_backend_ops_emulated, which runs the cuda cases only: the cpu ones run here).
#if defined(STRATA_TEST_CUDA_ONLY)
  const std::vector<std::pair<Device, int>> devices{{Device::cuda, 1}};
#elif defined(STRATA_TEST_CUDA)
  const std::vector<std::pair<Device, int>> devices{{Device::cpu, 1}, {Device::cpu, 3}, {Device::cuda, 1}};
#else
  const std::vector<std::pair<Device, int>> devices{{Device::cpu, 1}, {Device::cpu, 3}};
#endif
  for (const auto& [d, threads] : devices)
    for (size_t i = 0; i < cases.size(); ++i) out.push_back({d, threads, ConvPrecision::fp32, i});
  for (ConvPrecision p : {ConvPrecision::tf32, ConvPrecision::bf16})
    for (size_t i = 0; i < cases.size() && devices.back().first == Device::cuda; ++i)
      if (cases[i].convolution) out.push_back({Device::cuda, 1, p, i});
  return out;
}

TEST(BackendRegistry, PrecisionsByNameAndTheCpuIsFp32Only) {
  for (ConvPrecision p : {ConvPrecision::fp32, ConvPrecision::tf32, ConvPrecision::bf16})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  EXPECT_THROW(parse_precision("fp16"), UsageError);
  EXPECT_THROW(make_backend(Device::cpu, 0, ConvPrecision::bf16), UsageError);
  EXPECT_EQ(make_backend(Device::cpu, 0, ConvPrecision::fp32)->device(), Device::cpu);
}

INSTANTIATE_TEST_SUITE_P(AllOps, BackendOps, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           std::string name = device_name(info.param.device);
                           if (info.param.threads > 1) name += "_threads" + std::to_string(info.param.threads);
                           if (info.param.precision != ConvPrecision::fp32) {
                             name += '_';
                             name += precision_name(info.param.precision);
                           }
                           return name + "_" + all_cases()[info.param.case_index].name;
                         });

}  // namespace
}  // namespace strata::nn
