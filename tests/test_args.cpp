#include <gtest/gtest.h>

#include "cli/args.h"
#include "core/error.h"
#include "test_util.h"

using namespace strata;
using namespace strata::cli;
using strata::test::TempDir;

namespace {

Args train_args() {
  return Args("train", "test", {{"data", "DIR", "", "", true}, {"epochs", "N", "", "10", false}, {"lr", "LR", "", "0.001", false},
                                {"adamw", "", "", "", false}, {"widths", "W", "", "", false}});
}

bool parse(Args& a, std::vector<std::string> words) {
  words.insert(words.begin(), {"strata", "train"});
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return a.parse(static_cast<int>(argv.size()), argv.data(), 2);
}

TEST(Args, FlagsValuesAndErrors) {
  Args a = train_args();
  EXPECT_TRUE(parse(a, {"--data", "d", "--epochs=3", "--adamw"}));
  EXPECT_EQ(a.get("data"), "d");
  EXPECT_EQ(a.get_int("epochs", 1, 100), 3);
  EXPECT_TRUE(a.flag("adamw"));
  EXPECT_DOUBLE_EQ(a.get_double("lr"), 0.001);
  Args b = train_args();
  EXPECT_FALSE(parse(b, {"--help"}));
  Args c = train_args();
  EXPECT_THROW(parse(c, {"--data"}), UsageError);
  Args d = train_args();
  EXPECT_THROW(parse(d, {"--epochs", "3"}), UsageError);  // --data is required
  Args e = train_args();
  EXPECT_THROW(parse(e, {"--data", "d", "--bogus", "1"}), UsageError);
  Args f = train_args();
  parse(f, {"--data", "d", "--epochs", "lots"});
  EXPECT_THROW(f.get_int("epochs", 1, 100), UsageError);
}

TEST(Args, ConfigFileUnderCommandLineFlags) {
  TempDir dir;
  test::write_text(dir / "job.toml", "[train]\ndata = \"from-file\"\nepochs = 7\nlr = 0.5\nadamw = true\nwidths = [8, 16, 32]\n");
  Args a = train_args();
  EXPECT_TRUE(parse(a, {"--config", dir / "job.toml", "--epochs", "2"}));
  EXPECT_EQ(a.get("data"), "from-file");
  EXPECT_EQ(a.get("epochs"), "2") << "the command line overrides the file";
  EXPECT_DOUBLE_EQ(a.get_double("lr"), 0.5);
  EXPECT_TRUE(a.flag("adamw"));
  EXPECT_EQ(a.get_list("widths"), (std::vector<std::string>{"8", "16", "32"}));
}

TEST(Args, MalformedConfigsAreUsageErrorsNamingTheFile) {
  TempDir dir;
  test::write_text(dir / "bad.toml", "epochs = [\n");
  Args a = train_args();
  try {
    parse(a, {"--config", dir / "bad.toml"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir / "bad.toml:", 0), 0u) << e.what();
  }
  test::write_text(dir / "unknown.toml", "data = \"d\"\nepochz = 3\n");
  Args b = train_args();
  EXPECT_THROW(parse(b, {"--config", dir / "unknown.toml"}), UsageError);
  test::write_text(dir / "type.toml", "data = \"d\"\nadamw = 3\n");
  Args c = train_args();
  EXPECT_THROW(parse(c, {"--config", dir / "type.toml"}), UsageError);
  Args d = train_args();
  EXPECT_THROW(parse(d, {"--config", dir / "missing.toml"}), UsageError);
}

}  // namespace
