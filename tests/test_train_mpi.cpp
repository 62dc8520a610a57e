// Under mpiexec -n 2 (ctest label mpi): 2 ranks with batch 4 take the same steps as 1 rank with
// batch 8, up to floating-point summation order.
#include <gtest/gtest.h>

#include <cmath>

#include "core/classes.h"
#include "nn/backend.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "store/checkpoint.h"
#include "train_fixture.h"

using namespace strata;

namespace {

TEST(TrainMpi, TwoRanksMatchOneRankForTheSameGlobalBatch) {
  auto world = dist::make_world();
  ASSERT_EQ(world->size(), 2) << "run under mpiexec -n 2";
  // Rank 0's dataset, for both ranks.
  char buf[4096] = {};
  if (world->is_root()) std::snprintf(buf, sizeof buf, "%s", test::dataset_dir().c_str());
  world->broadcast(buf, sizeof buf, 0);
  const std::string data = buf, root = data + "/..";

  pipeline::TrainOptions o = test::small_train(root + "/run-2ranks");
  o.data_dir = data;
  o.batch = 4;
  o.max_steps = 8;
  o.overwrite = true;
  pipeline::run_train(o, *world);

  if (world->is_root()) {
    auto single = dist::make_single_process();
    pipeline::TrainOptions one = o;
    one.out_dir = root + "/run-1rank";
    one.batch = 8;
    pipeline::run_train(one, *single);
    const auto a = store::read_checkpoint(one.out_dir + "/latest.h5"), b = store::read_checkpoint(o.out_dir + "/latest.h5");
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    double worst = 0;
    for (size_t t = 0; t < a.tensors.size(); ++t) {
      if (a.tensors[t].name.rfind("adam.", 0) == 0) continue;
      for (size_t i = 0; i < a.tensors[t].values.size(); ++i)
        worst = std::max(worst, static_cast<double>(std::fabs(a.tensors[t].values[i] - b.tensors[t].values[i])));
    }
    // Gradients agree to fp32 rounding (~1e-7 relative); Adam turns each step into about lr
    // (0.01) times m/sqrt(v), where rounding moves m/sqrt(v) by far less than 1e-2, so after
    // 8 steps weights agree to well within 8 x 0.01 x 1e-2 = 8e-4.
    EXPECT_LT(worst, 8e-4) << "largest weight difference between 1 and 2 ranks";
    std::printf("largest weight difference, 1 rank vs 2 ranks after 8 steps: %.3g\n", worst);
  }
  world->barrier();
}

// mpirun -n 2 strata train --init CKPT: fine-tuning a graph model (Dynamic World's architecture)
// data-parallel; rank 0's checkpoint is the fine-tuned graph on the model's bands.
TEST(TrainMpi, FineTunesAGraphModelFromInit) {
  auto world = dist::make_world();
  ASSERT_EQ(world->size(), 2) << "run under mpiexec -n 2";
  char buf[4096] = {};
  if (world->is_root()) std::snprintf(buf, sizeof buf, "%s", test::dataset_dir().c_str());
  world->broadcast(buf, sizeof buf, 0);
  const std::string data = buf, root = data + "/..", init = root + "/dw-init.h5";
  if (world->is_root()) {
    auto be = nn::make_cpu_backend(1);
    auto model = nn::make_model(*be, nn::dynamic_world_config(), 5);
    nn::ModelInfo info{nn::dynamic_world_normalization(), nn::dynamic_world_bands(), {}};
    for (const char* c : class_names()) info.class_names.emplace_back(c);
    store::write_checkpoint(init, nn::capture_state(*model, nullptr, info, nullptr));
  }
  world->barrier();
  pipeline::TrainOptions o = test::small_train(root + "/run-init-2ranks");
  o.data_dir = data;
  o.init = init;
  o.batch = 4;
  o.max_steps = 4;
  o.overwrite = true;
  const pipeline::TrainSummary s = pipeline::run_train(o, *world);
  EXPECT_TRUE(std::isfinite(s.last_loss));
  EXPECT_EQ(s.steps, 4);
  if (world->is_root()) {
    const nn::ModelState st = store::read_checkpoint(o.out_dir + "/latest.h5");
    EXPECT_EQ(st.meta("arch"), "graph");
    EXPECT_EQ(st.meta("train.init"), init);
  }
  world->barrier();
}

}  // namespace
