// Online prediction through strata serve: POST /api/v1/predict and the OGC API - Processes subset
// with asynchronous jobs that survive a restart. The answer must be what strata predict writes for
// the same file; uploads are checked before decoding; the concurrency limit answers 503.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "geo/raster.h"
#include "serve_test_util.h"

namespace strata::test {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string model_path() { return (fs::path(serve_catalog()).parent_path() / "model.h5").string(); }
std::string scene_path() { return synth_dir() + "/S2_" + synth_date(2) + ".tif"; }

serve::ApiOptions predict_options(const std::string& jobs, int concurrent = 1) {
  serve::ApiOptions o;
  o.model = model_path();
  o.jobs_dir = jobs;
  o.predict.max_concurrent = concurrent;
  return o;
}

serve::Response post(serve::Api& api, const std::string& target, const std::string& body,
                     std::map<std::string, std::string> headers = {{"content-type", "image/tiff"}}) {
  serve::Request r;
  r.method = "POST";
  r.target = target;
  r.headers = std::move(headers);
  r.body = body;
  return api.handle(r);
}

// The 10 bands of a COG as uint8.
std::vector<uint8_t> bands_of(const std::string& path) {
  const geo::Raster r = geo::Raster::open(path);
  EXPECT_EQ(r.band_count(), 10);
  std::vector<uint8_t> v(static_cast<size_t>(r.grid().full().pixels()) * 10);
  r.read({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, r.grid().full(), v.data());
  return v;
}

// What strata predict writes for the upload alone (a copy without its QA sibling, one tile).
std::vector<uint8_t> predict_reference(TempDir& tmp) {
  fs::create_directories(tmp / "alone");
  fs::copy_file(scene_path(), tmp / "alone/upload.tif");
  pipeline::PredictOptions o;
  o.model = model_path();
  o.scenes = {tmp / "alone/upload.tif"};
  o.out_dir = tmp / "ref";
  o.tile = 384;
  auto comm = dist::make_single_process();
  pipeline::run_predict(o, *comm);
  std::ifstream js(tmp / "ref/predict.json");
  return bands_of(tmp / ("ref/" + json::parse(js)["products"][0]["tiles"][0].get<std::string>()));
}

TEST(ServePredict, UploadClassifiedLikeStrataPredict) {
  TempDir tmp;
  serve::Api api(serve::Catalog::load({serve_catalog()}), predict_options(tmp / "jobs"));
  const serve::Response r = post(api, "/api/v1/predict", read_bytes(scene_path()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("cloud-optimized"), std::string::npos);
  std::ofstream(tmp / "answer.tif", std::ios::binary) << r.body;
  EXPECT_EQ(bands_of(tmp / "answer.tif"), predict_reference(tmp));
  EXPECT_EQ(geo::Raster::open(tmp / "answer.tif").band_description(9), "label");

  const serve::Response j = post(api, "/api/v1/predict?f=json", read_bytes(scene_path()));
  ASSERT_EQ(j.status, 200) << j.body;
  const json s = body_json(j);
  int64_t total = s["nodata_pixels"].get<int64_t>();
  for (const char* c : class_names()) total += s["pixels"][c].get<int64_t>();
  EXPECT_EQ(total, 384 * 384);
  EXPECT_EQ(s["width"], 384);
  EXPECT_EQ(s["bands"], 13);
  double mean = 0;
  for (const char* c : class_names()) mean += s["mean_probability"][c].get<double>();
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_FALSE(fs::exists(tmp / "jobs") && !fs::is_empty(tmp / "jobs"));  // a synchronous run leaves nothing
}

TEST(ServePredict, UploadsCheckedBeforeDecoding) {
  TempDir tmp;
  serve::ApiOptions o = predict_options(tmp / "jobs");
  o.predict.max_pixels = 100 * 100;
  o.predict.max_bands = 13;
  serve::Api api(serve::Catalog::load({serve_catalog()}), o);
  // Too many pixels: refused from the header alone.
  serve::Response r = post(api, "/api/v1/predict", read_bytes(scene_path()));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(body_json(r)["detail"].get<std::string>().find("384 x 384"), std::string::npos);
  // Not a GeoTIFF: a PNG, text, a truncated TIFF.
  const std::string png = get(fixture_api(), "/api/v1/tiles/" + fixture_api().catalog().entries()[0].id + "/label/0/0/0.png").body;
  for (const std::string& bad : {png, std::string("hello"), read_bytes(scene_path()).substr(0, 64)}) {
    r = post(api, "/api/v1/predict", bad);
    EXPECT_EQ(r.status, 422) << r.body;
  }
  EXPECT_EQ(post(api, "/api/v1/predict", "").status, 400);
  EXPECT_EQ(post(api, "/api/v1/predict", "x", {{"content-type", "application/json"}}).status, 415);
  // Without --model, no prediction.
  EXPECT_EQ(post(fixture_api(), "/api/v1/predict", read_bytes(scene_path())).status, 404);
  EXPECT_EQ(get(fixture_api(), "/processes").status, 404);
}

TEST(ServePredict, BusySlotsAnswer503WithRetryAfter) {
  TempDir tmp;
  serve::Api api(serve::Catalog::load({serve_catalog()}), predict_options(tmp / "jobs", 1));
  serve::PredictSlot held(*api.predictor());
  ASSERT_TRUE(held.held());
  const serve::Response r = post(api, "/api/v1/predict", read_bytes(scene_path()));
  EXPECT_EQ(r.status, 503);
  bool retry = false;
  for (const auto& [k, v] : r.headers) retry = retry || (k == "Retry-After" && v == "5");
  EXPECT_TRUE(retry);
}

json wait_for_job(serve::Api& api, const std::string& id, const std::string& status) {
  json j;
  for (int i = 0; i < 600; ++i) {
    j = body_json(get(api, "/jobs/" + id));
    if (j["status"] == status || j["status"] == "failed") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return j;
}

TEST(ServeProcesses, AsyncJobRunsAndIsDismissed) {
  TempDir tmp;
  serve::Api api(serve::Catalog::load({serve_catalog()}), predict_options(tmp / "jobs"));
  const json list = body_json(get(api, "/processes"));
  ASSERT_EQ(list["processes"].size(), 1u);
  EXPECT_EQ(list["processes"][0]["id"], "classify");
  EXPECT_EQ(body_json(get(api, "/processes/classify"))["inputs"]["image"]["schema"]["contentMediaType"],
            "image/tiff; application=geotiff");
  const serve::Response r = post(api, "/processes/classify/execution", read_bytes(scene_path()),
                                 {{"content-type", "image/tiff"}, {"prefer", "respond-async"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = body_json(r)["jobID"];
  std::string location;
  for (const auto& [k, v] : r.headers)
    if (k == "Location") location = v;
  EXPECT_EQ(location, "/jobs/" + id);
  EXPECT_EQ(get(api, "/jobs/" + id + "/results").status == 200 || body_json(get(api, "/jobs/" + id))["status"] != "successful", true);
  const json done = wait_for_job(api, id, "successful");
  ASSERT_EQ(done["status"], "successful") << done.dump();
  const serve::Response res = get(api, "/jobs/" + id + "/results");
  ASSERT_EQ(res.status, 200);
  std::ofstream(tmp / "job.tif", std::ios::binary) << res.body;
  EXPECT_EQ(bands_of(tmp / "job.tif"), predict_reference(tmp));
  EXPECT_EQ(body_json(get(api, "/jobs"))["jobs"].size(), 1u);
  // Synchronous execution answers the COG itself.
  const serve::Response sync = post(api, "/processes/classify/execution", read_bytes(scene_path()));
  EXPECT_EQ(sync.status, 200);
  EXPECT_EQ(sync.body.substr(0, 2), res.body.substr(0, 2));
  // Dismissed: gone, files too.
  serve::Request del;
  del.method = "DELETE";
  del.target = "/jobs/" + id;
  EXPECT_EQ(api.handle(del).status, 200);
  EXPECT_EQ(get(api, "/jobs/" + id).status, 404);
  EXPECT_FALSE(fs::exists(tmp / ("jobs/" + id)));
  EXPECT_EQ(api.handle(del).status, 404);
  EXPECT_EQ(get(api, "/jobs/../../etc").status, 404);
  EXPECT_EQ(get(api, "/jobs/" + std::string(32, 'z')).status, 404);
}

TEST(ServeProcesses, ExecuteDocumentWithTheImageInline) {
  TempDir tmp;
  serve::Api api(serve::Catalog::load({serve_catalog()}), predict_options(tmp / "jobs"));
  const std::string tiff = read_bytes(scene_path());
  std::string b64;  // RFC 4648 by hand, so the decoder is checked against an independent encoder
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < tiff.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(tiff[i]) << 16) | (i + 1 < tiff.size() ? static_cast<uint8_t>(tiff[i + 1]) << 8 : 0) |
                       (i + 2 < tiff.size() ? static_cast<uint8_t>(tiff[i + 2]) : 0);
    b64 += abc[(n >> 18) & 63];
    b64 += abc[(n >> 12) & 63];
    b64 += i + 1 < tiff.size() ? abc[(n >> 6) & 63] : '=';
    b64 += i + 2 < tiff.size() ? abc[n & 63] : '=';
  }
  const json doc = {{"inputs", {{"image", {{"value", b64}, {"mediaType", "image/tiff; application=geotiff"}}}}}};
  const serve::Response r = post(api, "/processes/classify/execution", doc.dump(), {{"content-type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  std::ofstream(tmp / "doc.tif", std::ios::binary) << r.body;
  EXPECT_EQ(bands_of(tmp / "doc.tif"), predict_reference(tmp));
  // By reference, broken base64, no image: refused.
  for (const json& bad : {json{{"inputs", {{"image", {{"href", "http://example.com/x.tif"}}}}}},
                          json{{"inputs", {{"image", "@@@"}}}}, json{{"inputs", json::object()}}}) {
    const serve::Response e = post(api, "/processes/classify/execution", bad.dump(), {{"content-type", "application/json"}});
    EXPECT_EQ(e.status, 400) << bad.dump();
  }
}

TEST(ServeProcesses, JobsSurviveARestart) {
  TempDir tmp;
  std::string queued, running;
  {
    serve::Api api(serve::Catalog::load({serve_catalog()}), predict_options(tmp / "jobs"));
    serve::PredictSlot held(*api.predictor());  // nothing runs: the jobs stay accepted
    for (std::string* id : {&queued, &running}) {
      const serve::Response r = post(api, "/processes/classify/execution", read_bytes(scene_path()),
                                     {{"content-type", "image/tiff"}, {"prefer", "respond-async"}});
      ASSERT_EQ(r.status, 201);
      *id = body_json(r)["jobID"];
    }
  }  // the server stops (as a killed one would) with both jobs unfinished
  // One of them as a kill during its run leaves it.
  {
    std::ifstream in(tmp / ("jobs/" + running + "/job.json"));
    json j = json::parse(in);
    j["status"] = "running";
    std::ofstream(tmp / ("jobs/" + running + "/job.json")) << j.dump();
  }
  serve::Api again(serve::Catalog::load({serve_catalog()}), predict_options(tmp / "jobs"));
  for (const std::string& id : {queued, running}) {
    const json j = wait_for_job(again, id, "successful");
    EXPECT_EQ(j["status"], "successful") << j.dump();
    EXPECT_EQ(get(again, "/jobs/" + id + "/results").status, 200);
  }
}

}  // namespace
}  // namespace strata::test
