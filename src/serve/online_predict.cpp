#include "serve/online_predict.h"

#include <filesystem>
#include <future>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "dist/communicator.h"
#include "geo/raster.h"
#include "geo/tiff_probe.h"
#include "pipeline/predict.h"

namespace strata::serve {
namespace fs = std::filesystem;

UploadShape check_upload(const std::string& bytes, const PredictLimits& limits) {
  std::string why;
  const auto t = geo::probe_geotiff(bytes, why);
  if (!t) throw UsageError("the body is not a GeoTIFF" + (why.empty() ? std::string() : ": " + why));
  const UploadShape s{t->width, t->height, t->bands};
  if (s.bands < 1 || s.bands > limits.max_bands)
    throw UsageError("the GeoTIFF has " + std::to_string(s.bands) + " bands; at most " + std::to_string(limits.max_bands));
  if (s.width * s.height > limits.max_pixels)
    throw UsageError("the GeoTIFF has " + std::to_string(s.width) + " x " + std::to_string(s.height) + " pixels; at most " +
                     std::to_string(limits.max_pixels));
  return s;
}

OnlinePredictor::OnlinePredictor(std::string model, PredictLimits limits) : model_(std::move(model)), limits_(limits) {
  for (int i = 0; i < std::max(1, limits_.max_concurrent); ++i)
    threads_.emplace_back([this] {
      while (true) {
        std::unique_lock lock(m_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, nothing left
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
      }
    });
}

OnlinePredictor::~OnlinePredictor() {
  {
    std::lock_guard lock(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool OnlinePredictor::try_acquire() {
  int now = running_.load();
  while (now < limits_.max_concurrent)
    if (running_.compare_exchange_weak(now, now + 1)) return true;
  return false;
}

void OnlinePredictor::release() { --running_; }

OnlineResult OnlinePredictor::predict(const std::string& bytes, const std::string& work_dir) {
  const UploadShape shape = check_upload(bytes, limits_);
  fs::create_directories(work_dir);
  const std::string input = (fs::path(work_dir) / "input.tif").string();
  {
    std::ofstream out(input, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw Error(input + ": cannot write the upload");
  }
  OnlineResult r = predict_file(input, work_dir);
  r.shape = shape;
  return r;
}

OnlineResult OnlinePredictor::predict_file(const std::string& input, const std::string& work_dir) {
  auto task = std::make_shared<std::packaged_task<OnlineResult()>>([&] { return run_predict_here(input, work_dir); });
  std::future<OnlineResult> done = task->get_future();
  {
    std::lock_guard lock(m_);
    tasks_.emplace_back([task] { (*task)(); });
  }
  cv_.notify_one();
  return done.get();  // rethrows predict's error
}

OnlineResult OnlinePredictor::run_predict_here(const std::string& input, const std::string& work_dir) const {
  const geo::Raster in = geo::Raster::open(input);
  pipeline::PredictOptions o;
  o.model = model_;
  o.scenes = {input};
  o.out_dir = (fs::path(work_dir) / "pred").string();
  // One tile for the whole upload (tiles are multiples of every model's spatial multiple).
  const int64_t side = std::max(in.grid().width, in.grid().height);
  o.tile = (side + 63) / 64 * 64;
  auto comm = dist::make_single_process();
  const pipeline::PredictSummary summary = pipeline::run_predict(o, *comm);
  std::ifstream js((fs::path(o.out_dir) / "predict.json").string());
  const nlohmann::json run = nlohmann::json::parse(js);
  OnlineResult r;
  r.cog = (fs::path(o.out_dir) / run["products"][0]["tiles"][0].get<std::string>()).string();
  r.shape = {in.grid().width, in.grid().height, in.band_count()};
  r.model_hash = summary.model_hash;
  return r;
}

PredictionSummary summarise_prediction(const std::string& cog) {
  const geo::Raster r = geo::Raster::open(cog);
  const geo::Window w = r.grid().full();
  std::vector<float> v(static_cast<size_t>(w.pixels()) * 10);
  r.read({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, w, v.data());
  const size_t n = static_cast<size_t>(w.pixels());
  const bool byte = r.band_type(0) == geo::DataType::u8;
  PredictionSummary s;
  std::array<double, kNumClasses> sum{};
  for (size_t i = 0; i < n; ++i) {
    const float label = v[9 * n + i];
    if (label != label || label < 0 || label >= kNumClasses) {
      ++s.nodata_pixels;
      continue;
    }
    ++s.pixels[static_cast<size_t>(label)];
    for (size_t c = 0; c < kNumClasses; ++c) sum[c] += byte ? v[c * n + i] / 254.0 : v[c * n + i];
  }
  const int64_t valid = static_cast<int64_t>(n) - s.nodata_pixels;
  for (size_t c = 0; c < kNumClasses; ++c) s.mean_probability[c] = valid > 0 ? sum[c] / static_cast<double>(valid) : 0.0;
  return s;
}

}  // namespace strata::serve
