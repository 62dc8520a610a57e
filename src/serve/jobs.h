#pragma once
// Asynchronous classification jobs (OGC API - Processes: POST .../execution with
// Prefer: respond-async), persisted so that a killed `strata serve` restarted loses none:
//   JOBS_DIR/<id>/job.json     status, times, message (written whole, renamed into place)
//   JOBS_DIR/<id>/input.tif    the checked upload
//   JOBS_DIR/<id>/pred/        predict's output; the result is its one tile COG
// Ids are 32 random hex digits, checked before any path is built from one. Jobs that were
// accepted or running when the server stopped run again at start.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "serve/online_predict.h"

namespace strata::serve {

class JobStore {
 public:
  // Loads the jobs in `dir` (created) and starts `runners` threads that take queued jobs.
  JobStore(std::string dir, OnlinePredictor& predictor, int runners = 1, size_t max_queued = 64);
  ~JobStore();  // stops the runners after the jobs they hold (queued ones stay on disk)
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Checks the upload (check_upload) and queues it; its id, or nullopt when max_queued jobs wait.
  std::optional<std::string> submit(const std::string& tiff);
  std::optional<nlohmann::json> status(const std::string& id) const;  // OGC statusInfo
  std::vector<nlohmann::json> list() const;
  std::optional<std::string> result(const std::string& id) const;     // the COG of a successful job
  // Dismisses a job: removes its files (a running one's when it ends). False when unknown.
  bool dismiss(const std::string& id);

  static bool valid_id(const std::string& id);

 private:
  void run();
  void save(const nlohmann::json& job) const;
  std::string folder(const std::string& id) const;

  std::string dir_;
  OnlinePredictor& predictor_;
  size_t max_queued_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::vector<std::thread> runners_;
  bool stopping_ = false;
};

}  // namespace strata::serve
