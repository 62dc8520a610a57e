#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/error.h"
#include "nn/backend.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "store/checkpoint.h"
#include "test_util.h"

using namespace strata;
using strata::test::TempDir;

namespace {

nn::ModelInfo info(int64_t bands) {
  nn::ModelInfo i;
  for (int64_t b = 0; b < bands; ++b) {
    i.normalization.a.push_back(1000.0f + static_cast<float>(b));
    i.normalization.b.push_back(500.0f);
    i.band_names.push_back("B" + std::to_string(b + 1));
  }
  i.class_names = {"water", "trees", "grass", "flooded_vegetation", "crops", "shrub_and_scrub", "built", "bare",
                   "snow_and_ice"};
  return i;
}

std::vector<float> forward(nn::Model& m, const std::vector<float>& x, int64_t n, int64_t h, int64_t w) {
  nn::Backend& be = m.backend();
  nn::DeviceBuffer dx(be, x.size() * sizeof(float));
  be.upload(dx.as<void>(), x.data(), dx.bytes());
  const nn::Act y = m.forward(dx.as<float>(), n, h, w, false);
  std::vector<float> out(static_cast<size_t>(y.numel()));
  be.download(out.data(), y.data, out.size() * sizeof(float));
  return out;
}

TEST(Checkpoint, RoundTripGivesIdenticalOutputs) {
  TempDir dir;
  auto be = nn::make_cpu_backend();
  for (const nn::ModelConfig& cfg : {nn::sample_fcn_config(), nn::unet_small_config()}) {
    auto model = nn::make_model(*be, cfg, 17);
    std::mt19937_64 rng(99);
    rng.discard(5);
    const nn::ModelState state = nn::capture_state(*model, nullptr, info(cfg.in_bands), &rng);
    const std::string path = dir / (cfg.arch + ".h5");
    store::write_checkpoint(path, state);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}),
              cfg.arch == "sample-fcn" ? 1 : 2)
        << "no temporary left behind";

    const nn::ModelState back = store::read_checkpoint(path);
    EXPECT_EQ(back.metadata, state.metadata);
    ASSERT_EQ(back.tensors.size(), state.tensors.size());
    auto loaded = nn::model_from_state(*be, back);
    std::mt19937_64 rng2;
    nn::load_rng(rng2, back);
    EXPECT_EQ(rng2(), rng());

    std::vector<float> x(static_cast<size_t>(2 * cfg.in_bands * 16 * 16));
    std::mt19937 g(3);
    std::normal_distribution<float> nd;
    for (auto& v : x) v = nd(g);
    EXPECT_EQ(forward(*loaded, x, 2, 16, 16), forward(*model, x, 2, 16, 16)) << cfg.arch;
  }
}

TEST(Checkpoint, BadFilesAreErrorsNamingThem) {
  TempDir dir;
  EXPECT_THROW(store::read_checkpoint(dir / "missing.h5"), Error);
  test::write_text(dir / "text.h5", "not hdf5");
  try {
    store::read_checkpoint(dir / "text.h5");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "text.h5") + ": not an HDF5 file, or truncated");
  }
  auto be = nn::make_cpu_backend();
  auto model = nn::make_model(*be, nn::unet_small_config(), 1);
  store::write_checkpoint(dir / "full.h5", nn::capture_state(*model, nullptr, info(13), nullptr));
  std::filesystem::copy_file(dir / "full.h5", dir / "cut.h5");
  std::filesystem::resize_file(dir / "cut.h5", std::filesystem::file_size(dir / "full.h5") / 3);
  try {
    auto s = store::read_checkpoint(dir / "cut.h5");
    nn::model_from_state(*be, s);
    FAIL() << "a truncated checkpoint loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.h5"), std::string::npos) << e.what();
  }
  // A checkpoint of another architecture does not load into this one.
  auto fcn = nn::make_model(*be, nn::sample_fcn_config(), 1);
  EXPECT_THROW(nn::load_weights(*fcn, store::read_checkpoint(dir / "full.h5")), Error);
}

}  // namespace
