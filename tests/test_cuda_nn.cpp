// The CUDA backend as a whole (label gpu): training steps of both models against the same steps
// on the CPU, no cudaMalloc inside a step, and the tensor-core precisions really in use. The ops
// one by one are test_backend_ops' work. Skips where no GPU is present.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/backend_registry.h"
#include "nn/model.h"
#include "nn/ops/conv2d.h"
#include "nn/trainer.h"
#include "gpu_required.h"
#include "model_batch.h"
#include "op_test_util.h"

namespace strata::nn {
namespace {

using test::all_close;
using test::Batch;
using test::DeviceArray;
using test::make_batch;
using test::random_floats;

// The losses of `steps` AdamW steps and the probabilities afterwards, on `be`.
struct TrainRun {
  std::vector<float> losses, probabilities;
};
TrainRun train(Backend& be, const ModelConfig& c, const Batch& b, int steps) {
  auto model = make_model(be, c, 5);
  Trainer trainer(*model, AdamConfig{0.9f, 0.999f, 1e-8f, 1e-4f, true}, LrSchedule{1e-2f, 1e-3f, 2, 20},
                  LossConfig{{1.0f, 2.0f, 0.5f, 1.5f}, 0.05f});
  DeviceArray<float> x(be, b.x);
  DeviceArray<uint8_t> labels(be, b.labels);
  TrainRun r;
  for (int i = 0; i < steps; ++i) r.losses.push_back(trainer.step(x.get(), labels.get(), b.n, b.h, b.w));
  Predictor predict(*model);
  const Act p = predict.probabilities(x.get(), b.n, b.h, b.w);
  r.probabilities.resize(static_cast<size_t>(p.numel()));
  be.download(r.probabilities.data(), p.data, r.probabilities.size() * sizeof(float));
  return r;
}

const ModelConfig kModels[] = {{"sample-fcn", 5, 4, {8, 6}}, {"unet-small", 5, 4, {8, 16}}};

TEST(CudaBackend, TrainingTracksTheCpu) {
  STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  for (const ModelConfig& c : kModels) {
    const Batch b = make_batch(c, 3, 16, 24, 11);
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(Device::cuda);
    const TrainRun want = train(*cpu, c, b, 10), got = train(*gpu, c, b, 10);
    ASSERT_EQ(got.losses.size(), want.losses.size());
    for (size_t i = 0; i < want.losses.size(); ++i)
      EXPECT_NEAR(got.losses[i], want.losses[i], 1e-4 * std::max(1.0f, want.losses[i])) << c.arch << " step " << i;
    EXPECT_LT(want.losses.back(), want.losses.front()) << c.arch << ": the CPU run learns";
    EXPECT_TRUE(all_close(got.probabilities, want.probabilities, 1e-3)) << c.arch;
  }
}

TEST(CudaBackend, TensorCoreTrainingStaysCloseToFp32) {
  STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  for (ConvPrecision p : {ConvPrecision::tf32, ConvPrecision::bf16}) {
    const ModelConfig& c = kModels[1];
    const Batch b = make_batch(c, 2, 16, 16, 12);
    auto fp32 = make_backend(Device::cuda);
    auto low = make_backend(Device::cuda, 0, p);
    const TrainRun want = train(*fp32, c, b, 5), got = train(*low, c, b, 5);
    for (size_t i = 0; i < want.losses.size(); ++i)
      EXPECT_NEAR(got.losses[i], want.losses[i], 0.05 * want.losses[i]) << precision_name(p) << " step " << i;
  }
}

// The kernels' limits are refusals with the way out, checked before anything is launched: 32-bit
// indexing of the convolutions, 65,535 channels of the per-channel reductions (gridDim.y).
TEST(CudaBackend, ShapesBeyondTheKernelsLimitsAreRefused) {
  STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  auto be = make_backend(Device::cuda);
  const Conv2dShape big{2048, 64, 256, 256, 64, 3, 1};  // 8.6e9 input elements: no memory is touched
  try {
    be->conv2d_forward(big, nullptr, nullptr, nullptr, nullptr);
    ADD_FAILURE() << "a conv2d past 2^31 elements ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("beyond the CUDA kernels' 32-bit indexing"), std::string::npos) << e.what();
  }
  const BatchNormShape wide{1, 70000, 1, 1e-5f, 0.1f};
  DeviceArray<float> x(*be, random_floats(wide.c, 1)), ones(*be, std::vector<float>(70000, 1.0f)),
      zeros(*be, std::vector<float>(70000, 0.0f)), rm(*be, std::vector<float>(70000, 0.0f)),
      rv(*be, std::vector<float>(70000, 1.0f)), y(*be, size_t{70000}), mean(*be, size_t{70000}),
      invstd(*be, size_t{70000});
  try {
    be->batch_norm_forward_train(wide, x.get(), ones.get(), zeros.get(), rm.get(), rv.get(), y.get(), mean.get(),
                                 invstd.get());
    ADD_FAILURE() << "a batch norm over 70000 channels ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 65535 channels"), std::string::npos) << e.what();
  }
  const DepthwiseConv2dShape deep{1, 70000, 1, 1, 3};
  try {
    be->depthwise_conv2d_backward(deep, x.get(), nullptr, x.get(), nullptr, nullptr, y.get());
    ADD_FAILURE() << "a depthwise weight gradient over 70000 channels ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 65535 channels"), std::string::npos) << e.what();
  }
}

TEST(CudaBackend, AStepOfAKnownShapeMakesNoCudaMalloc) {
  STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  auto be = make_backend(Device::cuda);
  ASSERT_GE(be->allocation_count(), 0) << "the CUDA backend counts its cudaMallocs";
  for (const ModelConfig& c : kModels) {
    auto model = make_model(*be, c, 3);
    Trainer trainer(*model, AdamConfig{}, LrSchedule{}, {});
    Predictor predict(*model);
    const Batch b = make_batch(c, 2, 16, 16, 9), smaller = make_batch(c, 1, 8, 8, 9);
    DeviceArray<float> x(*be, b.x), xs(*be, smaller.x);
    DeviceArray<uint8_t> labels(*be, b.labels), ls(*be, smaller.labels);
    trainer.step(x.get(), labels.get(), b.n, b.h, b.w);
    predict.probabilities(x.get(), b.n, b.h, b.w);
    const int64_t before = be->allocation_count();
    for (int i = 0; i < 3; ++i) {
      trainer.step(x.get(), labels.get(), b.n, b.h, b.w);
      predict.probabilities(x.get(), b.n, b.h, b.w);
    }
    trainer.step(xs.get(), ls.get(), smaller.n, smaller.h, smaller.w);
    be->synchronize();
    EXPECT_EQ(be->allocation_count(), before) << c.arch;
  }
}

// Guards against a silent fall-back to fp32: a tensor-core convolution differs from the fp32 one
// by its rounding, and by no more than the precision allows.
TEST(CudaBackend, TensorCorePrecisionsAreInUse) {
  STRATA_SKIP_WITHOUT_CUDA_DEVICE();
  const Conv2dShape s{2, 32, 19, 17, 40, 3, 1};
  const std::vector<float> x = random_floats(s.input_size(), 1), w = random_floats(s.weight_size(), 2);
  std::vector<float> want(static_cast<size_t>(s.output_size()));
  conv2d_forward_reference(s, x.data(), w.data(), nullptr, want.data());
  for (auto [p, u] : {std::pair{ConvPrecision::tf32, 0x1p-11}, std::pair{ConvPrecision::bf16, 0x1p-8}}) {
    auto be = make_backend(Device::cuda, 0, p);
    EXPECT_NE(be->name().find(precision_name(p)), std::string::npos) << be->name();
    DeviceArray<float> dx(*be, x), dw(*be, w), dy(*be, want.size());
    be->conv2d_forward(s, dx.get(), dw.get(), nullptr, dy.get());
    const std::vector<float> got = dy.host();
    double worst = 0.0, scale = 1.0;
    for (size_t i = 0; i < got.size(); ++i) {
      worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - want[i]));
      scale = std::max(scale, static_cast<double>(std::fabs(want[i])));
    }
    EXPECT_GT(worst, 1e-6 * scale) << precision_name(p) << ": as exact as fp32, so not on tensor cores";
    EXPECT_LT(worst, 4.0 * u * scale) << precision_name(p);
  }
}

}  // namespace
}  // namespace strata::nn
