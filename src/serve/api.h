#pragma once
// `strata serve`'s endpoints as one function from Request to Response (see docs/serve.md):
//   GET /healthz, /api/v1/info, /api/v1/dates
//   GET /api/v1/tiles/{date}/{layer}/{z}/{x}/{y}.png and .../{layer}/tilejson.json
//   GET /api/v1/point/{lon},{lat}?date=     GET /api/v1/timeseries/{lon},{lat}?start=&end=&f=json|csv
//   GET /api/v1/statistics?date=&bbox=      GET /api/v1/change?from=&to=&bbox=
//   GET /api/v1/timelapse.gif?bbox=&start=&end=&layer=&size=&delay=
//   GET /api/v1/download/{date}.tif?bbox=   (a COG clip of the 10 bands)
//   POST /api/v1/predict[?f=json]           a GeoTIFF body classified (online_predict.h)
//   GET /processes, /processes/classify; POST /processes/classify/execution (Prefer: respond-async)
//   GET /jobs, /jobs/{id}, /jobs/{id}/results; DELETE /jobs/{id}   (OGC API - Processes, jobs.h)
//   GET /, /<file>: the viewer (static_files.h)
// Every input is range-checked; an error is application/problem+json. Dates and layers select
// catalog entries; nothing from the request reaches GDAL. Thread-safe: the HTTP server calls it on
// its worker threads.
#include <memory>
#include <string>

#include "serve/catalog.h"
#include "serve/jobs.h"
#include "serve/online_predict.h"
#include "serve/http_types.h"
#include "serve/static_files.h"
#include "serve/tile_cache.h"

namespace strata::serve {

struct ApiOptions {
  std::string web_root;                 // the viewer's files ("" = none)
  size_t tile_cache_bytes = 64u << 20;  // the LRU cache of encoded tiles
  int tile_max_age_s = 3600;            // Cache-Control for tiles
  int64_t max_download_pixels = 4096 * 4096;  // a download/{date}.tif clip
  int max_frames = 60;                        // timelapse.gif
  int64_t max_timelapse_pixels = 64 << 20;    // timelapse.gif: frames x width x height
  std::string model;     // checkpoint for online prediction ("" = POST /api/v1/predict and /processes answer 404)
  std::string jobs_dir;  // where asynchronous jobs persist (needed with a model)
  PredictLimits predict;
  size_t max_queued_jobs = 64;
};

class Api {
 public:
  Api(Catalog catalog, ApiOptions options);
  Response handle(const Request& request);
  const Catalog& catalog() const { return catalog_; }
  const TileCache& tile_cache() const { return cache_; }
  OnlinePredictor* predictor() { return predictor_.get(); }  // null without a model

 private:
  Response route(const Request& request);
  Response info() const;
  Response dates() const;
  Response tile(const std::vector<std::string>& segments, const Request& request);
  Response point(const std::string& lon_lat, const std::map<std::string, std::string>& query);
  Response timeseries(const std::string& lon_lat, const std::map<std::string, std::string>& query);
  Response statistics(const std::map<std::string, std::string>& query);
  Response change(const std::map<std::string, std::string>& query);
  Response timelapse(const std::map<std::string, std::string>& query);
  Response download(const std::string& file, const std::map<std::string, std::string>& query);
  Response predict(const Request& request, bool json_answer);
  Response predict_bytes(const std::string& tiff, bool json_answer);
  Response processes(const std::vector<std::string>& segments, const Request& request);
  Response jobs(const std::vector<std::string>& segments, const Request& request);

  Catalog catalog_;
  ApiOptions options_;
  StaticFiles files_;
  TileCache cache_;
  std::unique_ptr<OnlinePredictor> predictor_;
  std::unique_ptr<JobStore> jobs_;
  std::string empty_tile_, empty_etag_;  // the transparent tile off the maps
};

}  // namespace strata::serve
