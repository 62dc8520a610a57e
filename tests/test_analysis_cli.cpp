// evaluate, change, stats and render as a user runs them, on a synthetic series with a wildfire
// and a flood: the change map must find both events where synth.json says they are.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "analysis_fixture.h"
#include "geo/raster.h"
#include "gif_reader.h"
#include "test_util.h"

using strata::test::run_strata;
using strata::test::TempDir;

namespace {

bool one_error_line(const std::string& out) {
  return out.rfind("strata: error: ", 0) == 0 && strata::test::count_lines(out) == 1;
}

// The most common changed transition code (10 * from + to, from != to) inside `box`.
int main_change(const std::vector<uint8_t>& codes, int64_t width, const nlohmann::json& box) {
  std::map<int, int64_t> count;
  for (int64_t y = box["y"]; y < box["y"].get<int64_t>() + box["height"].get<int64_t>(); ++y)
    for (int64_t x = box["x"]; x < box["x"].get<int64_t>() + box["width"].get<int64_t>(); ++x) {
      const int c = codes[static_cast<size_t>(y * width + x)];
      if (c != 255 && c / 10 != c % 10) ++count[c];
    }
  int best = -1;
  for (const auto& [c, n] : count)
    if (best < 0 || n > count[best]) best = c;
  return best;
}

class AnalysisCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const auto r = run_strata("synth --out " + (*dir_ / "s") + " --size 384 --dates 3 --seed 7 --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string path(const std::string& name) { return *dir_ / name; }
  static nlohmann::json synth_json() {
    std::ifstream in(path("s/synth.json"));
    return nlohmann::json::parse(in);
  }
  static TempDir* dir_;
};
TempDir* AnalysisCli::dir_ = nullptr;

TEST_F(AnalysisCli, ChangeFindsTheWildfireAndTheFlood) {
  const nlohmann::json j = synth_json();
  nlohmann::json fire, flood;
  for (const auto& e : j["events"]) (e["kind"] == "fire" ? fire : flood) = e;
  ASSERT_TRUE(fire["active"].get<bool>() && flood["active"].get<bool>()) << j.dump();
  const std::string before = j["dates"][0]["date"], during = flood["first_date"];
  ASSERT_LE(fire["first_date_index"].get<int>(), flood["first_date_index"].get<int>());

  const auto r = run_strata("change --from " + path("s/labels_" + before + ".tif") + " --to " +
                            path("s/labels_" + during + ".tif") + " --out " + path("change"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trees -> bare: "), std::string::npos) << r.output;
  for (const char* f : {"change.tif", "transitions.csv", "transitions.json"})
    EXPECT_TRUE(std::filesystem::exists(path("change/") + f)) << f;

  const auto t = strata::geo::Raster::open(path("change/change.tif"));
  std::vector<uint8_t> codes(static_cast<size_t>(t.grid().width * t.grid().height));
  t.read<uint8_t>({0}, t.grid().full(), codes.data());
  EXPECT_EQ(main_change(codes, t.grid().width, fire["bbox"]), 17) << "trees -> bare in the fire's box";
  const int f = main_change(codes, t.grid().width, flood["bbox"]);
  EXPECT_TRUE(f == 40 || f == 43 || f == 20 || f == 23) << "crops/grass -> water/flooded vegetation, got " << f;
}

TEST_F(AnalysisCli, EvaluateStatsAndRender) {
  const nlohmann::json j = synth_json();
  const std::string d0 = j["dates"][0]["date"];
  auto r = run_strata("evaluate --pred " + path("s/labels_" + d0 + ".tif") + " --labels " + path("s/worldcover_" + d0 + ".tif") +
                      " --label-scheme worldcover --json " + path("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("pixel accuracy 1.0000"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(path("e.json")));

  r = run_strata("stats --input " + path("s/labels_*.tif") + " --csv " + path("stats.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(d0), std::string::npos) << r.output;
  std::ifstream csv(path("stats.csv"));
  const std::string text((std::istreambuf_iterator<char>(csv)), std::istreambuf_iterator<char>());
  EXPECT_EQ(strata::test::count_lines(text), 4) << text;

  r = run_strata("render --input " + path("s/labels_*.tif") + " --out " + path("t.gif") + " --delay 0.2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto gif = strata::test::read_gif(path("t.gif"));
  EXPECT_EQ(gif.frames.size(), 3u);
  EXPECT_EQ(gif.frames[0].delay_cs, 20);
  r = run_strata("render --input " + path("s/labels_" + d0 + ".tif") + " --out " + path("map.png"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(strata::geo::Raster::open(path("map.png")).grid().width, 384) << "legend beside the map";
}

TEST_F(AnalysisCli, BadInputsAreOneLineNamingTheFile) {
  const std::string labels = path("s/labels_" + synth_json()["dates"][0]["date"].get<std::string>() + ".tif");
  auto r = run_strata("stats --input " + path("none.tif"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "strata: error: " + path("none.tif") + ": no such file\n");

  const std::string scene = path("s/S2_" + synth_json()["dates"][0]["date"].get<std::string>() + ".tif");
  r = run_strata("change --from " + scene + " --to " + labels + " --out " + path("x"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find(scene + ": has 13 bands and none is described 'label'"), std::string::npos) << r.output;

  strata::test::write_labels(path("far.tif"), strata::test::utm_grid(8, 8, 10, 100000, 1000000), std::vector<uint8_t>(64, 1));
  r = run_strata("evaluate --pred " + labels + " --labels " + path("far.tif"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find(path("far.tif") + ": does not overlap " + labels), std::string::npos) << r.output;

  r = run_strata("change --from " + labels + " --to " + labels + " --out " + path("s/synth.json/out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find(path("s/synth.json/out")), std::string::npos) << r.output;

  r = run_strata("render --input " + labels + " --out " + path("no/such/dir/m.gif"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_error_line(r.output)) << r.output;
  EXPECT_NE(r.output.find(path("no/such/dir/m.gif")), std::string::npos) << r.output;

  for (const std::string& bad : {"change --from " + labels + " --out " + path("x"),
                                 "render --input " + labels + " " + labels + " --out " + path("two.png"),
                                 "render --input " + labels + " --out " + path("m.gif") + " --delay 0",
                                 "evaluate --pred " + labels + " --labels " + labels + " stray"}) {
    r = run_strata(bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.output;
    EXPECT_TRUE(one_error_line(r.output)) << r.output;
  }
}

}  // namespace
