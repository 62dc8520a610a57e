// strata train on a small synthetic dataset: checkpoints, metrics, resume, and bad inputs.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/classes.h"
#include "core/error.h"
#include "nn/backend.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "store/checkpoint.h"
#include "train_fixture.h"

using namespace strata;
using namespace strata::pipeline;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

TEST(Train, LearnsAndWritesCheckpointsAndMetrics) {
  TempDir dir;
  auto comm = dist::make_single_process();
  TrainOptions o = test::small_train(dir / "run");
  o.epochs = 3;
  const TrainSummary s = run_train(o, *comm);
  EXPECT_FALSE(s.interrupted);
  EXPECT_EQ(s.epochs_done, 3);
  EXPECT_TRUE(std::isfinite(s.last_loss));
  EXPECT_GT(s.last_validation.total(), 0);
  std::ifstream in(dir / "run/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_LT(lines[2]["train_loss"].get<double>(), lines[0]["train_loss"].get<double>()) << "the loss must fall";
  EXPECT_GT(lines[2]["val"]["pixel_accuracy"].get<double>(), 0.3);
  EXPECT_EQ(lines[2]["val"]["confusion"].size(), 9u);
  const nn::ModelState latest = store::read_checkpoint(dir / "run/latest.h5");
  EXPECT_EQ(latest.meta("arch"), "sample-fcn");
  EXPECT_EQ(latest.meta("train.epoch"), "3");
  EXPECT_TRUE(fs::exists(dir / "run/best.h5"));
}

std::vector<nn::StateTensor> weights(const std::string& path) { return store::read_checkpoint(path).tensors; }

TEST(Train, KilledAndResumedEqualsUninterrupted) {
  TempDir dir;
  auto comm = dist::make_single_process();
  run_train(test::small_train(dir / "straight"), *comm);

  TrainOptions o = test::small_train(dir / "resumed");
  o.max_steps = 5;  // stops mid-epoch with a checkpoint, as SIGTERM does
  const TrainSummary first = run_train(o, *comm);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.steps, 5);
  o.max_steps = 0;
  EXPECT_THROW(run_train(o, *comm), Error) << "a run directory is not reused without --resume";
  o.resume = true;
  const TrainSummary second = run_train(o, *comm);
  EXPECT_FALSE(second.interrupted);

  const auto a = weights(dir / "straight/latest.h5"), b = weights(dir / "resumed/latest.h5");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].values, b[i].values) << a[i].name << " differs after resume";
  }
}

// A checkpoint of Dynamic World's architecture with fresh weights and its bands and transfer, as
// strata import-model would write one (the real weights are not needed to test fine-tuning).
std::string write_dynamic_world_init(const std::string& path, std::vector<std::string> bands = nn::dynamic_world_bands()) {
  auto be = nn::make_cpu_backend(1);
  auto model = nn::make_model(*be, nn::dynamic_world_config(), 3);
  nn::ModelInfo info;
  info.normalization = nn::dynamic_world_normalization();
  info.band_names = std::move(bands);
  for (const char* c : class_names()) info.class_names.emplace_back(c);
  nn::ModelState st = nn::capture_state(*model, nullptr, info, nullptr);
  st.metadata["role"] = "dynamic-world-forward";
  st.metadata["source.license"] = "Apache-2.0";
  store::write_checkpoint(path, st);
  return path;
}

TEST(Train, FineTunesFromInitOnTheModelsBandsAndResumesExactly) {
  TempDir dir;
  auto comm = dist::make_single_process();
  const std::string init = write_dynamic_world_init(dir / "dw.h5");
  TrainOptions o = test::small_train(dir / "straight");
  o.init = init;
  o.epochs = 1;
  o.lr = 1e-3;
  const TrainSummary s = run_train(o, *comm);
  EXPECT_TRUE(std::isfinite(s.last_loss));
  const nn::ModelState ck = store::read_checkpoint(dir / "straight/latest.h5");
  EXPECT_EQ(ck.meta("arch"), "graph");
  EXPECT_EQ(ck.meta("graph"), nn::dynamic_world_config().graph);
  EXPECT_EQ(ck.meta("band_names"), "B2,B3,B4,B5,B6,B7,B8,B11,B12") << "the model's 9 of the dataset's 13";
  EXPECT_EQ(ck.meta("normalization.mode"), "log_sigmoid");
  EXPECT_EQ(ck.meta("train.init"), init);
  EXPECT_EQ(ck.meta("source.license"), "Apache-2.0") << "the origin of the weights travels on";
  // The weights moved away from the initial ones.
  const nn::ModelState start = store::read_checkpoint(init);
  EXPECT_NE(start.find("conv2d.weight")->values, ck.find("conv2d.weight")->values);

  TrainOptions r = o;
  r.out_dir = dir / "resumed";
  r.max_steps = 3;
  EXPECT_TRUE(run_train(r, *comm).interrupted);
  r.max_steps = 0;
  r.resume = true;
  run_train(r, *comm);
  const auto a = weights(dir / "straight/latest.h5"), b = weights(dir / "resumed/latest.h5");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].values, b[i].values) << a[i].name << " differs after resume";
}

TEST(Train, DynamicWorldFromScratchLearns) {
  TempDir dir;
  auto comm = dist::make_single_process();
  TrainOptions o = test::small_train(dir / "run");
  o.model = "dynamic-world";
  o.epochs = 3;
  o.lr = 3e-3;
  run_train(o, *comm);
  std::ifstream in(dir / "run/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_LT(lines[2]["train_loss"].get<double>(), lines[0]["train_loss"].get<double>()) << "the loss must fall";
  EXPECT_EQ(store::read_checkpoint(dir / "run/latest.h5").meta("band_names"), "B2,B3,B4,B5,B6,B7,B8,B11,B12");
}

TEST(TrainErrors, InitWhoseBandsTheDatasetLacksIsAClearError) {
  TempDir dir;
  auto comm = dist::make_single_process();
  TrainOptions o = test::small_train(dir / "run");
  o.init = write_dynamic_world_init(dir / "dw.h5", {"B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B13"});
  try {
    run_train(o, *comm);
    FAIL() << "trained without band B13";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json: the dataset has no band B13"), std::string::npos) << e.what();
  }
  o.init = dir / "missing.h5";
  EXPECT_THROW(run_train(o, *comm), Error);
  o.init.clear();
  o.model = "dynamic-world";
  o.widths = {8, 8};
  EXPECT_THROW(run_train(o, *comm), UsageError);
}

TEST(TrainErrors, BadInputsAreClear) {
  TempDir dir;
  auto comm = dist::make_single_process();
  TrainOptions o = test::small_train(dir / "run");
  o.model = "resnet";
  EXPECT_THROW(run_train(o, *comm), UsageError);
  o = test::small_train(dir / "run");
  o.data_dir = dir / "nothing";
  EXPECT_THROW(run_train(o, *comm), Error);
  o = test::small_train(dir / "run");
  o.precision = "bf16";  // tensor cores: cuda only
  try {
    run_train(o, *comm);
    FAIL() << "--precision bf16 ran on the CPU";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--precision bf16 needs --device cuda"), std::string::npos) << e.what();
  }
  o.precision = "fp16";
  EXPECT_THROW(run_train(o, *comm), UsageError);
  o = test::small_train(dir / "run");
  o.device = "cuda";
  try {
    run_train(o, *comm);
    FAIL() << "--device cuda ran without a GPU";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--device cuda"), std::string::npos) << e.what();
  }
  // A dataset with a shard missing.
  fs::copy(test::dataset_dir(), dir / "ds", fs::copy_options::recursive);
  fs::remove(dir / "ds/shard-00001.h5");
  o = test::small_train(dir / "run2");
  o.data_dir = dir / "ds";
  try {
    run_train(o, *comm);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shard-00001.h5"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

// The binary as Slurm drives it: SIGTERM mid-run checkpoints and exits 0; --resume finishes.
TEST(TrainCli, SigtermCheckpointsAndResumeFinishes) {
  TempDir dir;
  const std::string data = test::dataset_dir();
  const std::string log = dir / "log.txt";
  const std::string args = std::string(STRATA_BINARY) + " train --data " + data + " --out " + (dir / "run") +
                           " --epochs 200 --batch 8 --lr 0.01";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + args + " > " + log + " 2>&1").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first epoch's checkpoint, then ask it to stop, as Slurm does before a time limit.
  for (int i = 0; i < 600 && !fs::exists(dir / "run/latest.h5"); ++i) usleep(50000);
  ASSERT_TRUE(fs::exists(dir / "run/latest.h5")) << "no checkpoint after 30 s";
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("signal received: stopped at step"), std::string::npos) << out;
  const auto stopped = store::read_checkpoint(dir / "run/latest.h5");
  const int64_t step = std::stoll(stopped.meta("train.global_step"));
  EXPECT_GT(step, 0);

  const auto r = test::run_strata("train --data " + data + " --out " + (dir / "run") +
                                  " --epochs 2 --batch 8 --lr 0.01 --resume --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto again = test::run_strata("train --data " + data + " --out " + (dir / "run") + " --epochs 2 --batch 8");
  EXPECT_EQ(again.exit_code, 1) << "an existing run is not overwritten without --resume or --overwrite";
  EXPECT_EQ(test::count_lines(again.output), 1) << again.output;
}

TEST(TrainCli, LearningRateFollowsTheGlobalBatch) {
  TempDir dir;
  auto peak_lr = [&](const std::string& extra) {
    const auto r = test::run_strata("train --data " + test::dataset_dir() + " --out " + (dir / "run") +
                                    " --epochs 1 --max-steps 1 --lr 0.004 --overwrite " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const size_t at = r.output.find("peak lr ");
    return at == std::string::npos ? std::string("none") : r.output.substr(at + 8, r.output.find(')', at) - at - 8);
  };
  EXPECT_EQ(peak_lr("--batch 16"), "0.004");                  // the reference global batch
  EXPECT_EQ(peak_lr("--batch 8"), "0.002");                   // half the batch, half the rate
  EXPECT_EQ(peak_lr("--batch 8 --lr-batch 8"), "0.004");      // --lr given for batch 8
  EXPECT_EQ(peak_lr("--batch 8 --lr-batch 0"), "0.004");      // scaling off
}

}  // namespace
