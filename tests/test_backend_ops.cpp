// Every op on every available backend against its CPU reference (as ggml's test-backend-ops).
// A new op adds its cases here. Backends that are not present skip with the reason.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "nn/backend.h"
#include "nn/backend_registry.h"
#include "nn/normalize.h"

using namespace strata;

namespace {

struct BackendCase {
  nn::Device device;
  std::string name;
};

void PrintTo(const BackendCase& c, std::ostream* os) { *os << c.name; }

std::vector<BackendCase> backend_cases() {
  return {{nn::Device::cpu, "cpu"}, {nn::Device::cuda, "cuda"}};
}

std::unique_ptr<nn::Backend> backend_or_skip(nn::Device d, std::string* why) {
  for (const auto& info : nn::available_devices())
    if (info.device == d) return nn::make_backend(d, info.index);
  *why = d == nn::Device::cuda ? "no CUDA device here (built without CUDA, or no driver/GPU)" : "backend missing";
  return nullptr;
}

struct NormalizeCase {
  std::string name;
  nn::NormalizationMode mode;
  int64_t batch, bands, pixels;
};

void PrintTo(const NormalizeCase& c, std::ostream* os) { *os << c.name; }

class NormalizeBands : public ::testing::TestWithParam<std::tuple<BackendCase, NormalizeCase>> {};

TEST_P(NormalizeBands, MatchesReference) {
  const auto& [bc, nc] = GetParam();
  std::string why;
  auto backend = backend_or_skip(bc.device, &why);
  if (!backend) GTEST_SKIP() << why;

  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> dn_dist(0, 65535);
  std::vector<uint16_t> dn(static_cast<size_t>(nc.batch * nc.bands * nc.pixels));
  for (auto& v : dn) v = static_cast<uint16_t>(dn_dist(rng));
  if (!dn.empty()) dn[0] = 0, dn.back() = 65535;  // edge values
  nn::BandNormalization norm;
  norm.mode = nc.mode;
  for (int64_t b = 0; b < nc.bands; ++b) {
    norm.a.push_back(nc.mode == nn::NormalizationMode::standard ? 1000.0f + 100.0f * b : 1.7f + 0.05f * b);
    norm.b.push_back(nc.mode == nn::NormalizationMode::standard ? 500.0f + 10.0f * b : 2.0f + 0.1f * b);
  }
  std::vector<float> want(dn.size()), got(dn.size());
  nn::normalize_bands_reference(dn.data(), want.data(), norm, nc.batch, nc.pixels);

  nn::DeviceBuffer d_dn(*backend, dn.size() * sizeof(uint16_t)), d_out(*backend, got.size() * sizeof(float));
  backend->upload(d_dn.as<void>(), dn.data(), d_dn.bytes());
  backend->normalize_bands(d_dn.as<uint16_t>(), d_out.as<float>(), norm, nc.batch, nc.pixels);
  backend->download(got.data(), d_out.as<void>(), d_out.bytes());

  // fp32 throughout; log/exp differ by a few ulp between libm and CUDA's intrinsics.
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-5f * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Ops, NormalizeBands,
    ::testing::Combine(::testing::ValuesIn(backend_cases()),
                       ::testing::Values(NormalizeCase{"standard_13x128x128", nn::NormalizationMode::standard, 2, 13, 128 * 128},
                                         NormalizeCase{"log_sigmoid_9x33x17", nn::NormalizationMode::log_sigmoid, 3, 9, 33 * 17},
                                         NormalizeCase{"standard_1px", nn::NormalizationMode::standard, 1, 1, 1},
                                         NormalizeCase{"empty", nn::NormalizationMode::standard, 0, 4, 16})),
    [](const auto& info) { return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name; });

TEST(NormalizeReference, HandComputed) {
  nn::BandNormalization norm{nn::NormalizationMode::standard, {1000.0f}, {500.0f}};
  const uint16_t dn[3] = {0, 1000, 2000};
  float out[3];
  nn::normalize_bands_reference(dn, out, norm, 1, 3);
  EXPECT_FLOAT_EQ(out[0], -2.0f);
  EXPECT_FLOAT_EQ(out[1], 0.0f);
  EXPECT_FLOAT_EQ(out[2], 2.0f);

  // Dynamic World: dn = 0 -> ln(1) = 0; z = -a/b; sigmoid(5z - 1).
  nn::BandNormalization dw{nn::NormalizationMode::log_sigmoid, {1.7417268f}, {2.0232987f}};
  nn::normalize_bands_reference(dn, out, dw, 1, 1);
  const double z = -1.7417268 / 2.0232987;
  EXPECT_NEAR(out[0], 1.0 / (1.0 + std::exp(-(5.0 * z - 1.0))), 1e-6);
}

TEST(NormalizeReference, RejectsBadConstants) {
  nn::BandNormalization norm{nn::NormalizationMode::standard, {0.0f, 1.0f}, {1.0f}};
  EXPECT_THROW(norm.validate(), Error);
  norm.b = {1.0f, 0.0f};
  EXPECT_THROW(norm.validate(), Error);
  norm.b = {1.0f, NAN};
  EXPECT_THROW(norm.validate(), Error);
}

}  // namespace
