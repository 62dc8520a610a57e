#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "core/classes.h"
#include "core/error.h"
#include "store/shard.h"
#include "test_util.h"

using namespace strata;
using namespace strata::store;
using strata::test::TempDir;

namespace {

ShardHeader header(int64_t patch = 8) {
  ShardHeader h;
  h.band_names = {"B2", "B3", "B4"};
  for (const char* c : class_names()) h.class_names.emplace_back(c);
  h.patch_size = patch;
  h.crs_wkt = "EPSG:32631";
  h.split = "train";
  h.scenes = {"a.tif", "b.tif"};
  h.config_hash = "abc123";
  return h;
}

void fill_patch(int64_t i, std::vector<uint16_t>& in, std::vector<uint8_t>& lab) {
  for (size_t k = 0; k < in.size(); ++k) in[k] = static_cast<uint16_t>(i * 1000 + static_cast<int64_t>(k));
  for (size_t k = 0; k < lab.size(); ++k) lab[k] = static_cast<uint8_t>((i + static_cast<int64_t>(k)) % 10 == 9 ? 255 : (i + k) % 9);
}

TEST(Shard, RoundTrip) {
  TempDir dir;
  const std::string path = dir / "shard-00000.h5";
  std::vector<uint16_t> in(3 * 8 * 8);
  std::vector<uint8_t> lab(8 * 8);
  {
    ShardWriter w(path, header(), 5);
    for (int64_t i = 0; i < 5; ++i) {
      fill_patch(i, in, lab);
      w.write(i, in.data(), lab.data(), {i % 2, 16 * i, 8});
    }
    w.set_normalization({1.0, 2.0, 3.0}, {0.5, 0.25, 0.125});
    EXPECT_FALSE(std::filesystem::exists(path)) << "final name must appear only on commit";
    w.commit();
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);

  const ShardReader r(path);
  EXPECT_EQ(r.size(), 5);
  EXPECT_EQ(r.header().band_names, header().band_names);
  EXPECT_EQ(r.header().class_names.size(), 9u);
  EXPECT_EQ(r.header().patch_size, 8);
  EXPECT_EQ(r.header().split, "train");
  EXPECT_EQ(r.header().scenes, header().scenes);
  EXPECT_EQ(r.header().config_hash, "abc123");
  EXPECT_EQ(r.header().norm_mean, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(r.header().norm_std, (std::vector<double>{0.5, 0.25, 0.125}));
  std::vector<uint16_t> in2(in.size()), want_in(in.size());
  std::vector<uint8_t> lab2(lab.size()), want_lab(lab.size());
  for (int64_t i = 0; i < 5; ++i) {
    fill_patch(i, want_in, want_lab);
    r.read(i, in2.data(), lab2.data());
    EXPECT_EQ(in2, want_in) << i;
    EXPECT_EQ(lab2, want_lab) << i;
    EXPECT_EQ(r.origin(i), (PatchOrigin{i % 2, 16 * i, 8}));
  }
  EXPECT_THROW(r.read(5, in2.data(), lab2.data()), Error);
}

TEST(Shard, UncommittedLeavesNothing) {
  TempDir dir;
  {
    ShardWriter w(dir / "s.h5", header(), 2);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Shard, ReadableFromH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no h5py for /usr/bin/python3";
  TempDir dir;
  std::vector<uint16_t> in(3 * 8 * 8);
  std::vector<uint8_t> lab(8 * 8);
  ShardWriter w(dir / "s.h5", header(), 2);
  for (int64_t i = 0; i < 2; ++i) {
    fill_patch(i, in, lab);
    w.write(i, in.data(), lab.data(), {0, 0, 0});
  }
  w.commit();
  const std::string script = dir / "check.py";
  strata::test::write_text(script,
                           "import h5py, sys\n"
                           "f = h5py.File(sys.argv[1], 'r')\n"
                           "assert f['inputs'].shape == (2, 3, 8, 8), f['inputs'].shape\n"
                           "assert f['inputs'].dtype == 'uint16'\n"
                           "assert f['labels'].shape == (2, 8, 8) and f['labels'].dtype == 'uint8'\n"
                           "assert f['inputs'].chunks == (1, 3, 8, 8)\n"
                           "assert f['inputs'].compression == 'gzip'\n"
                           "assert list(f.attrs['band_names']) == ['B2', 'B3', 'B4'], f.attrs['band_names']\n"
                           "assert f.attrs['split'] == 'train'\n"
                           "assert int(f['inputs'][1, 0, 0, 0]) == 1000\n"
                           "print('ok')\n");
  const std::string cmd = "/usr/bin/python3 " + script + " " + (dir / "s.h5") + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096] = {};
  const size_t n = fread(buf, 1, sizeof buf - 1, p);
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << std::string(buf, n);
  EXPECT_EQ(std::string(buf, n), "ok\n");
}

TEST(ShardErrors, MissingTruncatedAndForeign) {
  TempDir dir;
  EXPECT_THROW(ShardReader(dir / "missing.h5"), Error);

  std::vector<uint16_t> in(3 * 8 * 8, 7);
  std::vector<uint8_t> lab(8 * 8, 1);
  ShardWriter w(dir / "full.h5", header(), 4);
  for (int64_t i = 0; i < 4; ++i) w.write(i, in.data(), lab.data(), {0, 0, 0});
  w.commit();
  std::filesystem::copy_file(dir / "full.h5", dir / "cut.h5");
  std::filesystem::resize_file(dir / "cut.h5", std::filesystem::file_size(dir / "full.h5") / 2);
  try {
    ShardReader r(dir / "cut.h5");
    std::vector<uint16_t> in2(in.size());
    std::vector<uint8_t> lab2(lab.size());
    for (int64_t i = 0; i < r.size(); ++i) r.read(i, in2.data(), lab2.data());
    FAIL() << "a truncated shard read without error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.h5"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }

  strata::test::write_text(dir / "text.h5", "not hdf5");
  try {
    ShardReader r(dir / "text.h5");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "text.h5") + ": not an HDF5 file, or truncated");
  }
}

}  // namespace
