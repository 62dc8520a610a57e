#pragma once
// Online prediction: one GeoTIFF uploaded over HTTP, classified by `strata predict`'s own code
// (pipeline::run_predict with the served checkpoint) into one COG of 9 probability bands and the
// label. The upload is opened from memory with the GTiff driver only, and its width x height x
// bands checked against the caps before a pixel is decoded; only then is it written to the job's
// folder for predict to read. A bounded number of predictions run at once (the rest: 503).
#include <array>
#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/classes.h"

namespace strata::serve {

struct PredictLimits {
  int64_t max_pixels = 4096 * 4096;  // width x height of an upload
  int max_bands = 32;
  int max_concurrent = 1;            // predictions at once, synchronous and asynchronous together
};

struct UploadShape {
  int64_t width = 0, height = 0;
  int bands = 0;
};

// The header of a GeoTIFF in memory, through GDAL's GTiff driver alone; a UsageError (answered as
// 4xx) for bytes that are no GeoTIFF or exceed the caps. Decodes no pixel.
UploadShape check_upload(const std::string& bytes, const PredictLimits& limits);

struct OnlineResult {
  std::string cog;  // the tile COG predict wrote (10 bands)
  UploadShape shape;
  std::string model_hash;
};

// Predictions run on max_concurrent threads of their own, whoever asks (an HTTP worker, a job
// runner): the network's buffers then live in those threads' heaps only, so memory stays flat
// however many HTTP workers take prediction requests in turn.
class OnlinePredictor {
 public:
  OnlinePredictor(std::string model, PredictLimits limits);
  ~OnlinePredictor();
  OnlinePredictor(const OnlinePredictor&) = delete;
  OnlinePredictor& operator=(const OnlinePredictor&) = delete;
  const std::string& model() const { return model_; }
  const PredictLimits& limits() const { return limits_; }

  // A slot among max_concurrent, or false when all are taken.
  bool try_acquire();
  void release();

  // Checks `bytes`, writes them to work_dir/input.tif and runs predict into work_dir/pred.
  OnlineResult predict(const std::string& bytes, const std::string& work_dir);
  // Runs predict on an upload already checked and written (a persisted job's input).
  OnlineResult predict_file(const std::string& input, const std::string& work_dir);

 private:
  OnlineResult run_predict_here(const std::string& input, const std::string& work_dir) const;
  std::string model_;
  PredictLimits limits_;
  std::atomic<int> running_{0};
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

// A slot held for a scope.
class PredictSlot {
 public:
  explicit PredictSlot(OnlinePredictor& p) : p_(p), held_(p.try_acquire()) {}
  ~PredictSlot() {
    if (held_) p_.release();
  }
  bool held() const { return held_; }

 private:
  OnlinePredictor& p_;
  bool held_;
};

// What the JSON answer gives of a prediction: pixels per class, no data, mean probabilities.
struct PredictionSummary {
  std::array<int64_t, kNumClasses> pixels{};
  int64_t nodata_pixels = 0;
  std::array<double, kNumClasses> mean_probability{};
};
PredictionSummary summarise_prediction(const std::string& cog);

}  // namespace strata::serve
