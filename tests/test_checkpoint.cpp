// Checkpoints through HDF5: a model state written and read back gives bit-identical
// predictions, also in a fresh process; a truncated file, a foreign file and a checkpoint of
// another architecture are clear errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "nn/model_state.h"
#include "nn/trainer.h"
#include "store/checkpoint.h"

namespace strata::store {
namespace {

namespace fs = std::filesystem;

const nn::ModelConfig kConfig{"unet-small", 4, 4, {4, 8}};

struct Input {
  std::vector<float> x;
  std::vector<uint8_t> labels;
};

Input make_input() {
  Input in{std::vector<float>(2 * 4 * 8 * 8), std::vector<uint8_t>(2 * 8 * 8)};
  std::mt19937_64 rng(3);
  std::normal_distribution<float> d;
  for (float& v : in.x) v = d(rng);
  for (size_t i = 0; i < in.labels.size(); ++i) in.labels[i] = static_cast<uint8_t>(i % 5 == 0 ? 255 : i % 4);
  return in;
}

std::vector<float> predict(nn::Model& model, const Input& in) {
  nn::Predictor p(model);
  const nn::Act a = p.probabilities(in.x.data(), 2, 8, 8);
  return std::vector<float>(a.data, a.data + a.numel());
}

nn::ModelInfo info() {
  nn::ModelInfo i;
  i.normalization.a = {1, 2, 3, 4};
  i.normalization.b = {5, 6, 7, 8};
  i.band_names = {"B2", "B3", "B4", "B8"};
  i.class_names = {"water", "trees", "grass", "built"};
  return i;
}

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("strata-ckpt-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// Trains three steps and writes the checkpoint; returns the predictions before writing.
std::vector<float> train_and_save(const std::string& path) {
  auto be = nn::make_cpu_backend();
  auto model = nn::make_model(*be, kConfig, 5);
  nn::Trainer trainer(*model, nn::AdamConfig{}, nn::LrSchedule{1e-2f, 0.0f, 0, 10}, {});
  const Input in = make_input();
  for (int i = 0; i < 3; ++i) trainer.step(in.x.data(), in.labels.data(), 2, 8, 8);
  std::mt19937_64 rng(1);
  write_checkpoint(path, nn::capture_state(*model, &trainer.optimizer(), info(), &rng));
  return predict(*model, in);
}

TEST(Checkpoint, RoundTripThroughHdf5IsExact) {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "a.h5").string();
  const std::vector<float> before = train_and_save(path);
  const nn::ModelState state = read_checkpoint(path);
  EXPECT_EQ(state.meta("arch"), "unet-small");
  EXPECT_EQ(state.meta("step"), "3");
  EXPECT_NE(state.find("adam.v.enc0.conv1.weight"), nullptr);
  auto be = nn::make_cpu_backend();
  auto model = nn::model_from_state(*be, state);
  EXPECT_EQ(predict(*model, make_input()), before);
  EXPECT_EQ(nn::info_from_state(state).band_names, info().band_names);
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << "temporary left: " << entry.path();
  fs::remove_all(dir);
}

// Run by FreshProcessGivesIdenticalOutputs in a child process: loads the checkpoint named by
// STRATA_CKPT_IN and writes the predictions to STRATA_CKPT_OUT.
TEST(Checkpoint, ChildLoadsAndPredicts) {
  const char* in = std::getenv("STRATA_CKPT_IN");
  const char* out = std::getenv("STRATA_CKPT_OUT");
  if (!in || !out) GTEST_SKIP() << "runs only as the child of FreshProcessGivesIdenticalOutputs";
  auto be = nn::make_cpu_backend();
  auto model = nn::model_from_state(*be, read_checkpoint(in));
  const std::vector<float> p = predict(*model, make_input());
  std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(p.data()),
                                              static_cast<std::streamsize>(p.size() * sizeof(float)));
}

TEST(Checkpoint, FreshProcessGivesIdenticalOutputs) {
  const fs::path dir = temp_dir();
  const std::string ckpt = (dir / "b.h5").string(), out = (dir / "pred.bin").string();
  const std::vector<float> before = train_and_save(ckpt);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string cmd = "STRATA_CKPT_IN='" + ckpt + "' STRATA_CKPT_OUT='" + out + "' '" + self +
                          "' --gtest_filter=Checkpoint.ChildLoadsAndPredicts > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<float> after(before.size());
  std::ifstream f(out, std::ios::binary);
  f.read(reinterpret_cast<char*>(after.data()), static_cast<std::streamsize>(after.size() * sizeof(float)));
  ASSERT_EQ(f.gcount(), static_cast<std::streamsize>(after.size() * sizeof(float)));
  EXPECT_EQ(after, before);
  fs::remove_all(dir);
}

TEST(Checkpoint, TruncatedOrForeignFilesAreClearErrors) {
  const fs::path dir = temp_dir();
  const std::string good = (dir / "c.h5").string(), cut = (dir / "cut.h5").string(),
                    text = (dir / "text.h5").string();
  train_and_save(good);
  const auto size = fs::file_size(good);
  fs::copy_file(good, cut);
  fs::resize_file(cut, size / 2);
  std::ofstream(text) << "not hdf5";
  for (const std::string& bad : {cut, text, (dir / "missing.h5").string()}) {
    try {
      read_checkpoint(bad);
      ADD_FAILURE() << bad << " was read";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << "the error names the file: " << e.what();
    }
  }
  auto be = nn::make_cpu_backend();
  auto fcn = nn::make_model(*be, {"sample-fcn", 4, 4, {6, 5}}, 1);
  EXPECT_THROW(nn::load_weights(*fcn, read_checkpoint(good)), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strata::store
