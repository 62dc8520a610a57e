#include "serve/jobs.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"

namespace strata::serve {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char s[32];
  std::strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return s;
}

std::string new_id() {
  std::random_device rd;
  std::string id;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) id += hex[rd() % 16];
  return id;
}

json read_job(const fs::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

}  // namespace

bool JobStore::valid_id(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string JobStore::folder(const std::string& id) const { return (fs::path(dir_) / id).string(); }

void JobStore::save(const json& job) const {
  write_text_atomically((fs::path(folder(job["jobID"])) / "job.json").string(), job.dump(2) + "\n");
}

JobStore::JobStore(std::string dir, OnlinePredictor& predictor, int runners, size_t max_queued)
    : dir_(std::move(dir)), predictor_(predictor), max_queued_(max_queued) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (!fs::is_directory(dir_, ec)) throw Error(dir_ + ": cannot create the jobs folder");
  // A job that was accepted or running when the last server stopped runs again, oldest first.
  std::vector<std::pair<std::string, std::string>> pending;  // created, id
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string id = e.path().filename().string();
    if (!valid_id(id) || !fs::is_regular_file(e.path() / "job.json", ec)) continue;
    try {
      json job = read_job(e.path() / "job.json");
      const std::string s = job.value("status", "");
      if (s == "dismissed") {
        fs::remove_all(e.path(), ec);
      } else if (s == "accepted" || s == "running") {
        job["status"] = "accepted";
        job["message"] = "queued again after a restart";
        save(job);
        pending.emplace_back(job.value("created", ""), id);
      }
    } catch (const std::exception& x) {
      log::warn("serve: ", (e.path() / "job.json").string(), ": ", x.what(), "; left alone");
    }
  }
  std::sort(pending.begin(), pending.end());
  for (const auto& [created, id] : pending) queue_.push_back(id);
  for (int i = 0; i < std::max(1, runners); ++i) runners_.emplace_back([this] { run(); });
}

JobStore::~JobStore() {
  {
    std::lock_guard lock(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : runners_) t.join();
}

std::optional<std::string> JobStore::submit(const std::string& tiff) {
  check_upload(tiff, predictor_.limits());
  std::unique_lock lock(m_);
  if (queue_.size() >= max_queued_) return std::nullopt;
  lock.unlock();
  const std::string id = new_id();
  fs::create_directories(folder(id));
  const std::string input = (fs::path(folder(id)) / "input.tif").string();
  const std::string tmp = temporary_name(input);
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(tiff.data(), static_cast<std::streamsize>(tiff.size()));
    if (!out) throw Error(input + ": cannot write the upload");
  }
  rename_into_place(tmp, input);
  save({{"jobID", id}, {"processID", "classify"}, {"type", "process"}, {"status", "accepted"},
        {"created", now_utc()}, {"updated", now_utc()}, {"message", "queued"}, {"progress", 0}});
  lock.lock();
  queue_.push_back(id);
  lock.unlock();
  cv_.notify_one();
  return id;
}

void JobStore::run() {
  while (true) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const std::string id = queue_.front();
    queue_.pop_front();
    lock.unlock();
    const fs::path file = fs::path(folder(id)) / "job.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) continue;  // dismissed meanwhile
    json job = read_job(file);
    if (job.value("status", "") != "accepted") continue;
    // Wait for a prediction slot, shared with synchronous requests.
    while (!predictor_.try_acquire()) {
      lock.lock();
      const bool stop = cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; });
      lock.unlock();
      if (stop) return;  // the job stays accepted on disk and runs after a restart
    }
    job["status"] = "running";
    job["started"] = job["updated"] = now_utc();
    job["message"] = "classifying";
    save(job);
    try {
      const OnlineResult r = predictor_.predict_file((fs::path(folder(id)) / "input.tif").string(), folder(id));
      job["status"] = "successful";
      job["message"] = "done";
      job["result"] = fs::relative(r.cog, folder(id)).string();
      job["model_hash"] = r.model_hash;
      job["progress"] = 100;
    } catch (const std::exception& e) {
      job["status"] = "failed";
      job["message"] = e.what();
    }
    predictor_.release();
    job["finished"] = job["updated"] = now_utc();
    std::lock_guard done(m_);  // against a dismiss between this check and the save
    if (!fs::is_regular_file(file, ec)) continue;  // dismissed while running: its folder is gone
    const json on_disk = read_job(file);
    if (on_disk.value("status", "") == "dismissed") {
      fs::remove_all(folder(id), ec);
      continue;
    }
    save(job);
  }
}

std::optional<json> JobStore::status(const std::string& id) const {
  if (!valid_id(id)) return std::nullopt;
  const fs::path file = fs::path(folder(id)) / "job.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  json job = read_job(file);
  job.erase("result");
  job["links"] = json::array({{{"href", "/jobs/" + id}, {"rel", "self"}, {"type", "application/json"}}});
  if (job.value("status", "") == "successful")
    job["links"].push_back({{"href", "/jobs/" + id + "/results"},
                            {"rel", "http://www.opengis.net/def/rel/ogc/1.0/results"},
                            {"type", "image/tiff; application=geotiff; profile=cloud-optimized"}});
  return job;
}

std::vector<json> JobStore::list() const {
  std::vector<json> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (auto s = status(e.path().filename().string())) out.push_back(*s);
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a.value("created", "") < b.value("created", ""); });
  return out;
}

std::optional<std::string> JobStore::result(const std::string& id) const {
  if (!valid_id(id)) return std::nullopt;
  const fs::path file = fs::path(folder(id)) / "job.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  const json job = read_job(file);
  if (job.value("status", "") != "successful") return std::nullopt;
  return (fs::path(folder(id)) / job.value("result", "")).string();
}

bool JobStore::dismiss(const std::string& id) {
  if (!valid_id(id)) return false;
  std::lock_guard lock(m_);
  const fs::path file = fs::path(folder(id)) / "job.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  json job = read_job(file);
  const bool running = job.value("status", "") == "running";
  job["status"] = "dismissed";
  job["updated"] = now_utc();
  if (running) {
    save(job);  // the runner removes the folder when predict returns
  } else {
    fs::remove_all(folder(id), ec);
  }
  return true;
}

}  // namespace strata::serve
