#include "serve/api.h"

#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/error.h"
#include "core/classes.h"
#include "geo/bitmap_font.h"
#include "geo/gif.h"
#include "geo/png.h"
#include "pipeline/predict_output.h"
#include "pipeline/change.h"
#include "pipeline/stats.h"
#include "serve/base64.h"
#include "serve/map_reader.h"
#include "serve/tile_render.h"
#include "serve/web_mercator.h"

namespace strata::serve {
using nlohmann::json;
namespace {

// A request error: answered with its status as problem+json.
struct BadRequest {
  int status;
  std::string detail;
};

[[noreturn]] void reject(int status, const std::string& detail) { throw BadRequest{status, detail}; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

double parse_number(const std::string& s, const char* what) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    reject(400, std::string(what) + ": not a number: '" + s.substr(0, 40) + "'");
  return v;
}

int64_t parse_integer(const std::string& s, const char* what) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    reject(400, std::string(what) + ": not an integer: '" + s.substr(0, 40) + "'");
  return v;
}

std::pair<double, double> parse_lon_lat(const std::string& s) {
  const auto parts = split(s, ',');
  if (parts.size() != 2) reject(400, "expected {lon},{lat}, e.g. 9.01,45.12");
  const double lon = parse_number(parts[0], "lon"), lat = parse_number(parts[1], "lat");
  if (lon < -180 || lon > 180) reject(400, "lon must lie in [-180, 180]");
  if (lat < -90 || lat > 90) reject(400, "lat must lie in [-90, 90]");
  return {lon, lat};
}

LonLatBounds parse_bbox(const std::string& s) {
  const auto parts = split(s, ',');
  if (parts.size() != 4) reject(400, "bbox: expected west,south,east,north in degrees");
  const LonLatBounds b{parse_number(parts[0], "bbox"), parse_number(parts[1], "bbox"), parse_number(parts[2], "bbox"),
                       parse_number(parts[3], "bbox")};
  if (b.west < -180 || b.east > 180 || b.south < -90 || b.north > 90) reject(400, "bbox: outside [-180, 180] x [-90, 90]");
  if (!(b.west < b.east && b.south < b.north)) reject(400, "bbox: west must be below east and south below north");
  return b;
}

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::string optional_date(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return "";
  if (!is_date(it->second)) reject(400, std::string(key) + ": expected YYYY-MM-DD");
  return it->second;
}

std::string required(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) reject(400, std::string("missing query parameter '") + key + "'");
  return it->second;
}

const MapEntry& entry(const Catalog& c, const std::string& id) {
  // Ids are dates or predict's product names: a short plain name, looked up, never opened.
  if (id.size() > 64) reject(400, "a date or map id is at most 64 characters");
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
      reject(400, "a date or map id has only letters, digits, '-', '_' and '.'");
  const MapEntry* e = c.find(id);
  if (!e) reject(404, "no map for '" + id + "' (see /api/v1/dates)");
  return *e;
}

Response json_response(const json& j, int status = 200) {
  Response r;
  r.status = status;
  r.body = j.dump() + "\n";
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

std::string hex_colour(const std::array<uint8_t, 3>& c) {
  char s[8];
  std::snprintf(s, sizeof s, "#%02X%02X%02X", c[0], c[1], c[2]);
  return s;
}

json bounds_json(const LonLatBounds& b) { return json::array({b.west, b.south, b.east, b.north}); }

json pixel_json(const MapEntry& e, const PixelValues& v) {
  json probs = json::object();
  for (size_t c = 0; c < kNumClasses; ++c) probs[class_names()[c]] = v.nodata ? json(nullptr) : json(v.probabilities[c]);
  return {{"date", e.date.empty() ? json(nullptr) : json(e.date)},
          {"id", e.id},
          {"inside", v.inside},
          {"nodata", v.nodata},
          {"col", v.inside ? json(v.col) : json(nullptr)},
          {"row", v.inside ? json(v.row) : json(nullptr)},
          {"label", v.nodata ? json(nullptr) : json(v.label)},
          {"class", v.nodata ? json(nullptr) : json(class_names()[static_cast<size_t>(v.label)])},
          {"probabilities", probs}};
}

json areas_json(const pipeline::ClassAreas& a) {
  json km2 = json::object(), pixels = json::object();
  double total = a.nodata_km2;
  for (size_t c = 0; c < kNumClasses; ++c) {
    km2[class_names()[c]] = a.km2[c];
    pixels[class_names()[c]] = a.pixels[c];
    total += a.km2[c];
  }
  return {{"unit", "km2"}, {"km2", km2}, {"pixels", pixels}, {"nodata_km2", a.nodata_km2},
          {"nodata_pixels", a.nodata_pixels}, {"total_km2", total}};
}

json window_json(const geo::Window& w) { return {{"x", w.x}, {"y", w.y}, {"width", w.width}, {"height", w.height}}; }

// The window of e's grid that ?bbox= covers (none: the whole grid), and how the answer states
// the box and the window.
struct BoxWindow {
  std::optional<geo::Window> window;
  json bbox = nullptr, window_as_json;
};
BoxWindow box_window(const std::map<std::string, std::string>& q, const MapEntry& e) {
  BoxWindow w;
  if (q.count("bbox")) {
    const LonLatBounds b = parse_bbox(q.at("bbox"));
    w.window = MapReader::for_this_thread().window_of(e, b);
    w.bbox = bounds_json(b);
  }
  w.window_as_json = window_json(w.window ? *w.window : e.grid.full());
  return w;
}

// Layer from the URL segments between the date and z/x/y (or tilejson.json).
Layer parse_layer(const Catalog& c, const std::vector<std::string>& s, size_t begin, size_t end) {
  const size_t n = end - begin;
  Layer l;
  if (n == 1 && s[begin] == "label") return l;
  if (n == 1 && s[begin] == "top1") {
    l.kind = Layer::Kind::top1;
    return l;
  }
  if (n == 1 && s[begin] == "rgb") {
    l.kind = Layer::Kind::rgb;
    return l;
  }
  if (n == 2 && s[begin] == "prob") {
    const auto cls = class_index(s[begin + 1]);
    if (!cls) reject(404, "no class '" + s[begin + 1].substr(0, 40) + "' (classes: water, trees, ..., snow_and_ice)");
    l.kind = Layer::Kind::probability;
    l.cls = *cls;
    return l;
  }
  if (n == 2 && s[begin] == "change") {
    l.kind = Layer::Kind::change;
    l.to = &entry(c, s[begin + 1]);
    return l;
  }
  reject(404, "no such layer (label, top1, prob/{class}, change/{to}, rgb)");
}

int max_zoom_of(const MapEntry& e) {
  // The zoom where a tile pixel is about a map pixel, plus two levels to look closer.
  const double lat = (e.bounds.south + e.bounds.north) / 2 * M_PI / 180;
  const double metres_z0 = 2 * kMercatorHalfWidth / kTileSize * std::cos(lat);
  const int z = static_cast<int>(std::ceil(std::log2(metres_z0 / std::max(e.pixel_metres, 1e-3))));
  return std::clamp(z + 2, 0, kMaxZoom);
}

// A file's bytes, and the file removed: outputs built on disk by geo's writers.
std::string take_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return bytes.str();
}

// A file's bytes, the file left as it is.
std::string take_file_copy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A fresh temporary path for one response (several workers build files at once).
std::string scratch_path(const std::string& ext) {
  static std::atomic<uint64_t> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("strata-serve-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ext))
      .string();
}

TileBounds mercator_of(const LonLatBounds& b) {
  auto x = [](double lon) { return lon * kMercatorHalfWidth / 180; };
  auto y = [](double lat) {
    const double r = std::clamp(lat, -kMaxLatitude, kMaxLatitude) * M_PI / 180;
    return std::log(std::tan(M_PI / 4 + r / 2)) * kMercatorHalfWidth / M_PI;
  };
  return {x(b.west), y(b.south), x(b.east), y(b.north)};
}

}  // namespace

Api::Api(Catalog catalog, ApiOptions options)
    : catalog_(std::move(catalog)), options_(std::move(options)), files_(options_.web_root), cache_(options_.tile_cache_bytes) {
  empty_tile_ = geo::encode_png(geo::Image(kTileSize, kTileSize), "empty tile");
  if (!options_.model.empty()) {
    if (options_.jobs_dir.empty()) throw UsageError("strata serve: online prediction needs a jobs folder");
    predictor_ = std::make_unique<OnlinePredictor>(options_.model, options_.predict);
    jobs_ = std::make_unique<JobStore>(options_.jobs_dir, *predictor_, options_.predict.max_concurrent, options_.max_queued_jobs);
  }
  empty_etag_ = etag_of(empty_tile_);
}

Response Api::handle(const Request& request) {
  try {
    return route(request);
  } catch (const BadRequest& e) {
    return problem(e.status, e.detail);
  }
}

Response Api::route(const Request& req) {
  const std::string raw = req.path();
  const bool ogc = raw == "/processes" || raw.rfind("/processes/", 0) == 0 || raw == "/jobs" || raw.rfind("/jobs/", 0) == 0;
  const bool posting = req.method == "POST" && (raw == "/api/v1/predict" || raw == "/processes/classify/execution");
  const bool deleting = req.method == "DELETE" && raw.rfind("/jobs/", 0) == 0;
  if (req.method != "GET" && req.method != "HEAD" && !posting && !deleting) {
    Response r = problem(405, "this path takes " + std::string(raw.rfind("/jobs/", 0) == 0 ? "GET, HEAD, DELETE" : "GET, HEAD") +
                                  (raw == "/api/v1/predict" || raw == "/processes/classify/execution" ? " or POST" : ""));
    r.headers.emplace_back("Allow", raw.rfind("/jobs/", 0) == 0 ? "GET, HEAD, DELETE"
                                    : posting || raw == "/api/v1/predict" || raw == "/processes/classify/execution" ? "POST"
                                                                                                                : "GET, HEAD");
    return r;
  }
  // The viewer's files canonicalise their own paths (static_files.h).
  if (raw.rfind("/api/", 0) != 0 && raw != "/healthz" && !ogc) return files_.serve(raw, req.header("if-none-match"));
  const auto query = req.query();
  if (!query) reject(400, "malformed query (a bad %-escape or a NUL)");
  if (raw == "/healthz") {
    Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok\n";
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  // Segments are split before decoding, so an encoded '/' stays inside its segment.
  std::vector<std::string> s = split(raw.substr(1), '/');  // api, v1, ...
  for (std::string& segment : s) {
    auto d = percent_decode(segment, false);
    if (!d) reject(400, "malformed path (a bad %-escape or a NUL)");
    segment = std::move(*d);
  }
  const std::string path = raw;
  if (s[0] == "processes") return processes(s, req);
  if (s[0] == "jobs") return jobs(s, req);
  if (s.size() < 3 || s[1] != "v1") reject(404, "no such endpoint (the API is under /api/v1/)");
  if (posting) return predict(req, query->count("f") && query->at("f") == "json");
  const std::string& what = s[2];
  if (what == "info" && s.size() == 3) return info();
  if (what == "dates" && s.size() == 3) return dates();
  if (what == "tiles") return tile(s, req);
  if (what == "point" && s.size() == 4) return point(s[3], *query);
  if (what == "timeseries" && s.size() == 4) return timeseries(s[3], *query);
  if (what == "statistics" && s.size() == 3) return statistics(*query);
  if (what == "change" && s.size() == 3) return change(*query);
  if (what == "timelapse.gif" && s.size() == 3) return timelapse(*query);
  if (what == "download" && s.size() == 4) return download(s[3], *query);
  reject(404, "no such endpoint: " + path.substr(0, 80));
}

Response Api::info() const {
  json palette = json::array(), ramp = json::array();
  for (const auto& c : class_palette()) palette.push_back(hex_colour(c));
  for (const auto& c : prob_ramp_stops()) ramp.push_back(hex_colour(c));
  const MapEntry& first = catalog_.entries().front();
  json layers = json::array({"label", "top1"});
  for (const char* c : class_names()) layers.push_back(std::string("prob/") + c);
  layers.push_back("change/{to}");
  layers.push_back("rgb");
  return json_response({{"name", "strata serve"},
                        {"version", build::version()},
                        {"git", build::git_revision()},
                        {"build_type", build::build_type()},
                        {"classes", class_names()},
                        {"palette", palette},
                        {"probability_ramp", ramp},
                        {"layers", layers},
                        {"model", {{"path", first.model}, {"hash", first.model_hash}}},
                        {"maps", catalog_.entries().size()},
                        {"bounds", bounds_json(catalog_.bounds())}});
}

Response Api::dates() const {
  json list = json::array();
  for (const MapEntry& e : catalog_.entries())
    list.push_back({{"id", e.id},
                    {"date", e.date.empty() ? json(nullptr) : json(e.date)},
                    {"product", e.product},
                    {"bounds", bounds_json(e.bounds)},
                    {"width", e.grid.width},
                    {"height", e.grid.height},
                    {"epsg", geo::crs_epsg(e.grid.crs_wkt)},
                    {"pixel_m", e.pixel_metres},
                    {"maxzoom", max_zoom_of(e)},
                    {"probabilities", e.probabilities},
                    {"scenes", e.scenes.size()},
                    {"rgb", !e.scene.empty()}});
  return json_response({{"dates", list}, {"bounds", bounds_json(catalog_.bounds())}});
}

Response Api::tile(const std::vector<std::string>& s, const Request& req) {
  // api v1 tiles {id} {layer...} tilejson.json | {z} {x} {y}.png
  if (s.size() < 5) reject(404, "expected /api/v1/tiles/{date}/{layer}/{z}/{x}/{y}.png");
  const MapEntry& map = entry(catalog_, s[3]);
  if (s.back() == "tilejson.json") {
    const Layer layer = parse_layer(catalog_, s, 4, s.size() - 1);
    // The tile URL: absolute when the Host header is a plain host[:port], else from the root.
    std::string host = req.header("host"), base;
    const bool plain = !host.empty() && host.size() < 256 &&
                       host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                           std::string::npos;
    if (plain) base = "http://" + host;
    const double lon = (map.bounds.west + map.bounds.east) / 2, lat = (map.bounds.south + map.bounds.north) / 2;
    const int maxzoom = max_zoom_of(map);
    json tj = {{"tilejson", "3.0.0"},
               {"name", "strata " + map.id + " " + layer.name()},
               {"description", "strata predict map " + map.product + ", layer " + layer.name()},
               {"version", "1.0.0"},
               {"scheme", "xyz"},
               {"tiles", json::array({base + "/api/v1/tiles/" + map.id + "/" + layer.name() + "/{z}/{x}/{y}.png"})},
               {"minzoom", 0},
               {"maxzoom", maxzoom},
               {"bounds", bounds_json(map.bounds)},
               {"center", json::array({lon, lat, std::max(0, maxzoom - 4)})},
               {"attribution", "strata (model " + map.model_hash + ")"}};
    return json_response(tj);
  }
  if (s.size() < 8) reject(404, "expected /api/v1/tiles/{date}/{layer}/{z}/{x}/{y}.png");
  const std::string& last = s.back();
  if (last.size() < 5 || last.substr(last.size() - 4) != ".png") reject(404, "tiles are {z}/{x}/{y}.png");
  const int64_t z = parse_integer(s[s.size() - 3], "z"), x = parse_integer(s[s.size() - 2], "x");
  const int64_t y = parse_integer(last.substr(0, last.size() - 4), "y");
  if (!valid_tile(z, x, y)) reject(400, "tile out of range: z in [0, 24], x and y in [0, 2^z)");
  const Layer layer = parse_layer(catalog_, s, 4, s.size() - 3);
  if (layer.kind == Layer::Kind::rgb && map.scene.empty())
    reject(404, "no Sentinel-2 scene for " + map.id + " (strata serve --scenes adds them)");

  const std::string key = map.id + "/" + layer.name() + "/" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y);
  std::optional<CachedTile> t = cache_.get(key);
  if (!t) {
    MapReader& reader = MapReader::for_this_thread();
    const geo::Image image = render_tile(reader, map, layer, static_cast<int>(z), x, y);
    bool empty = true;
    for (const auto& p : image.pixels) empty = empty && p.a == 0;
    t = empty ? CachedTile{empty_tile_, empty_etag_} : CachedTile{geo::encode_png(image, key, 3), ""};
    if (t->etag.empty()) t->etag = etag_of(t->png);
    cache_.put(key, *t);
  }
  Response r;
  r.content_type = "image/png";
  r.headers = {{"ETag", t->etag}, {"Cache-Control", "public, max-age=" + std::to_string(options_.tile_max_age_s)}};
  if (req.header("if-none-match") == t->etag) {
    r.status = 304;
    return r;
  }
  r.body = std::move(t->png);
  return r;
}

Response Api::point(const std::string& lon_lat, const std::map<std::string, std::string>& q) {
  const auto [lon, lat] = parse_lon_lat(lon_lat);
  const MapEntry& e = entry(catalog_, required(q, "date"));
  const PixelValues v = MapReader::for_this_thread().pixel_at(e, lon, lat);
  json j = pixel_json(e, v);
  j["lon"] = lon;
  j["lat"] = lat;
  return json_response(j);
}

Response Api::timeseries(const std::string& lon_lat, const std::map<std::string, std::string>& q) {
  const auto [lon, lat] = parse_lon_lat(lon_lat);
  const std::string start = optional_date(q, "start"), end = optional_date(q, "end");
  if (!start.empty() && !end.empty() && start > end) reject(400, "start is after end");
  const std::string f = q.count("f") ? q.at("f") : "json";
  if (f != "json" && f != "csv") reject(400, "f: json or csv");
  MapReader& reader = MapReader::for_this_thread();
  json list = json::array();
  std::string csv = "date,lon,lat,nodata,label,class";
  for (const char* c : class_names()) (csv += ',') += c;
  csv += '\n';
  char cell[64];
  for (const MapEntry* e : catalog_.dated(start, end)) {
    const PixelValues v = reader.pixel_at(*e, lon, lat);
    list.push_back(pixel_json(*e, v));
    std::snprintf(cell, sizeof cell, "%s,%.7f,%.7f,%d,", e->date.c_str(), lon, lat, v.nodata ? 1 : 0);
    csv += cell;
    if (!v.nodata) (csv += std::to_string(v.label) + ',') += class_names()[static_cast<size_t>(v.label)];
    else csv += ',';
    for (size_t c = 0; c < kNumClasses; ++c) {
      if (v.nodata) {
        csv += ',';
        continue;
      }
      std::snprintf(cell, sizeof cell, ",%.6f", v.probabilities[c]);
      csv += cell;
    }
    csv += '\n';
  }
  if (f == "csv") {
    Response r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = csv;
    r.headers = {{"Cache-Control", "no-cache"}, {"Content-Disposition", "attachment; filename=\"strata-timeseries.csv\""}};
    return r;
  }
  return json_response({{"lon", lon}, {"lat", lat}, {"classes", class_names()}, {"series", list}});
}

Response Api::statistics(const std::map<std::string, std::string>& q) {
  const MapEntry& e = entry(catalog_, required(q, "date"));
  const BoxWindow box = box_window(q, e);
  json j = areas_json(pipeline::class_areas_of(e.vrt, box.window));
  j["date"] = e.date.empty() ? json(nullptr) : json(e.date);
  j["id"] = e.id;
  j["bbox"] = box.bbox;
  j["window"] = box.window_as_json;
  return json_response(j);
}

Response Api::change(const std::map<std::string, std::string>& q) {
  const MapEntry& from = entry(catalog_, required(q, "from"));
  const MapEntry& to = entry(catalog_, required(q, "to"));
  const BoxWindow box = box_window(q, from);
  json j = pipeline::change_counts_json(pipeline::change_matrix(from.vrt, to.vrt, 0, box.window));
  j["from"] = from.id;
  j["to"] = to.id;
  j["bbox"] = box.bbox;
  j["window"] = box.window_as_json;
  return json_response(j);
}

Response Api::timelapse(const std::map<std::string, std::string>& q) {
  const LonLatBounds box = parse_bbox(required(q, "bbox"));
  const std::string start = optional_date(q, "start"), end = optional_date(q, "end");
  const std::vector<std::string> layer_parts = split(q.count("layer") ? q.at("layer") : "label", '/');
  const Layer layer = parse_layer(catalog_, layer_parts, 0, layer_parts.size());
  if (layer.kind == Layer::Kind::change) reject(400, "timelapse: layer label, top1, prob/{class} or rgb");
  std::vector<const MapEntry*> frames;
  for (const MapEntry* e : catalog_.dated(start, end))
    if (layer.kind != Layer::Kind::rgb || !e->scene.empty()) frames.push_back(e);
  if (frames.empty()) reject(404, "timelapse: no map in the date range" + std::string(layer.kind == Layer::Kind::rgb ? " with a scene" : ""));
  if (static_cast<int>(frames.size()) > options_.max_frames)
    reject(400, "timelapse: " + std::to_string(frames.size()) + " frames; at most " + std::to_string(options_.max_frames) +
                    " (narrow start and end)");
  const int64_t size = q.count("size") ? parse_integer(q.at("size"), "size") : 512;
  if (size < 16 || size > 1024) reject(400, "size: the longest side in pixels, 16 to 1024");
  const int64_t delay = q.count("delay") ? parse_integer(q.at("delay"), "delay") : 100;
  if (delay < 2 || delay > 6000) reject(400, "delay: hundredths of a second per frame, 2 to 6000");
  View view{mercator_of(box), 0, 0};
  const double w = view.mercator.max_x - view.mercator.min_x, h = view.mercator.max_y - view.mercator.min_y;
  view.width = static_cast<int>(w >= h ? size : std::max<int64_t>(16, std::llround(size * w / h)));
  view.height = static_cast<int>(h >= w ? size : std::max<int64_t>(16, std::llround(size * h / w)));
  if (static_cast<int64_t>(frames.size()) * view.width * view.height > options_.max_timelapse_pixels)
    reject(400, "timelapse: frames x pixels over the cap of " + std::to_string(options_.max_timelapse_pixels));

  MapReader& reader = MapReader::for_this_thread();
  const std::string path = scratch_path(".gif");
  {
    geo::GifWriter gif(path, view.width, view.height);
    for (const MapEntry* e : frames) {
      geo::Image frame = render_view(reader, *e, layer, view);
      // The date, dark on a white band, in the top-left corner.
      const int scale = view.width >= 256 ? 2 : 1;
      geo::fill_rect(frame, 0, 0, geo::text_width(e->id, scale) + 6 * scale, (geo::kGlyphHeight + 4) * scale, {255, 255, 255, 255});
      geo::draw_text(frame, 3 * scale, 2 * scale, e->id, {20, 20, 20, 255}, scale);
      gif.add_frame(frame, static_cast<int>(delay));
    }
    gif.commit();
  }
  Response r;
  r.content_type = "image/gif";
  r.body = take_file(path);
  r.headers = {{"Cache-Control", "no-cache"}, {"ETag", etag_of(r.body)}};
  return r;
}

Response Api::download(const std::string& file, const std::map<std::string, std::string>& q) {
  if (file.size() < 5 || file.substr(file.size() - 4) != ".tif") reject(404, "downloads are /api/v1/download/{date}.tif");
  const MapEntry& e = entry(catalog_, file.substr(0, file.size() - 4));
  MapReader& reader = MapReader::for_this_thread();
  geo::Window w = e.grid.full();
  if (q.count("bbox")) w = reader.window_of(e, parse_bbox(q.at("bbox")));
  if (w.width <= 0 || w.height <= 0) reject(404, "the box does not meet the map of " + e.id);
  if (w.pixels() > options_.max_download_pixels)
    reject(400, "the clip has " + std::to_string(w.pixels()) + " pixels; at most " + std::to_string(options_.max_download_pixels) +
                    " (a smaller bbox)");
  const geo::Raster& r = reader.raster(e);
  const bool byte = r.band_type(0) == geo::DataType::u8;
  const pipeline::ProbabilityType type = byte ? pipeline::ProbabilityType::u8 : pipeline::ProbabilityType::f32;
  std::map<std::string, std::string> metadata = r.metadata();
  metadata["STRATA_CLIP"] = std::to_string(w.x) + "," + std::to_string(w.y) + "," + std::to_string(w.width) + "," + std::to_string(w.height);
  const std::vector<int> bands = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::string path = scratch_path(".tif");
  {
    geo::RasterWriter out(path, e.grid.sub(w), 10, pipeline::prediction_write_options(type, metadata));
    if (byte) {
      std::vector<uint8_t> v(static_cast<size_t>(w.pixels()) * 10);
      r.read(bands, w, v.data());
      out.write_all(geo::Window{0, 0, w.width, w.height}, v.data());
    } else {
      std::vector<float> v(static_cast<size_t>(w.pixels()) * 10);
      r.read(bands, w, v.data());
      out.write_all(geo::Window{0, 0, w.width, w.height}, v.data());
    }
    out.commit();
  }
  Response resp;
  resp.content_type = "image/tiff; application=geotiff; profile=cloud-optimized";
  resp.body = take_file(path);
  resp.headers = {{"Cache-Control", "no-cache"}, {"Content-Disposition", "attachment; filename=\"strata-" + e.id + ".tif\""}};
  return resp;
}

namespace {

void require_tiff_body(const Request& req) {
  const std::string type = req.header("content-type");
  if (!type.empty() && type.rfind("image/tiff", 0) != 0 && type.rfind("application/octet-stream", 0) != 0)
    reject(415, "send the GeoTIFF itself as the body (Content-Type: image/tiff)");
  if (req.body.empty()) reject(400, "no GeoTIFF in the body");
}

// The GeoTIFF of an execution request: the body itself (image/tiff), or an OGC execute document
// (application/json) with the image inline, {"inputs": {"image": {"value": BASE64}}} or
// {"inputs": {"image": BASE64}}. References ("href") are refused: the server fetches nothing.
std::string execution_input(const Request& req) {
  if (req.header("content-type").rfind("application/json", 0) != 0) {
    require_tiff_body(req);
    return req.body;
  }
  json doc;
  try {
    doc = json::parse(req.body);
  } catch (const json::exception&) {
    reject(400, "the execute document is not valid JSON");
  }
  const json* image = doc.contains("inputs") && doc["inputs"].is_object() && doc["inputs"].contains("image")
                          ? &doc["inputs"]["image"] : nullptr;
  if (!image) reject(400, "the execute document has no inputs.image");
  if (image->is_object() && image->contains("href")) reject(400, "inputs.image.href: give the image by value; the server fetches nothing");
  const json* value = image->is_string() ? image : image->is_object() && image->contains("value") ? &(*image)["value"] : nullptr;
  if (!value || !value->is_string()) reject(400, "inputs.image: a base64 string or {\"value\": base64}");
  auto bytes = base64_decode(value->get<std::string>());
  if (!bytes || bytes->empty()) reject(400, "inputs.image: not valid base64");
  return *bytes;
}

Response busy(const std::string& what) {
  Response r = problem(503, what);
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

Response cog_response(const std::string& path, const std::string& name) {
  Response r;
  r.content_type = "image/tiff; application=geotiff; profile=cloud-optimized";
  r.body = take_file_copy(path);
  r.headers = {{"Cache-Control", "no-store"}, {"Content-Disposition", "attachment; filename=\"" + name + "\""}};
  return r;
}

}  // namespace

Response Api::predict(const Request& req, bool json_answer) {
  if (!predictor_) reject(404, "online prediction is off (strata serve --model CKPT turns it on)");
  require_tiff_body(req);
  return predict_bytes(req.body, json_answer);
}

Response Api::predict_bytes(const std::string& tiff, bool json_answer) {
  try {
    check_upload(tiff, predictor_->limits());
  } catch (const UsageError& e) {
    reject(422, e.what());
  }
  PredictSlot slot(*predictor_);
  if (!slot.held()) return busy("all " + std::to_string(predictor_->limits().max_concurrent) + " prediction slots are busy");
  const std::string work = scratch_path(".predict");
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{work};
  const OnlineResult r = predictor_->predict(tiff, work);
  if (!json_answer) return cog_response(r.cog, "strata-prediction.tif");
  const PredictionSummary s = summarise_prediction(r.cog);
  json pixels = json::object(), mean = json::object();
  for (size_t c = 0; c < kNumClasses; ++c) {
    pixels[class_names()[c]] = s.pixels[c];
    mean[class_names()[c]] = s.mean_probability[c];
  }
  return json_response({{"width", r.shape.width}, {"height", r.shape.height}, {"bands", r.shape.bands},
                        {"model_hash", r.model_hash}, {"classes", class_names()}, {"pixels", pixels},
                        {"nodata_pixels", s.nodata_pixels}, {"mean_probability", mean}});
}

Response Api::processes(const std::vector<std::string>& s, const Request& req) {
  if (!predictor_) reject(404, "online prediction is off (strata serve --model CKPT turns it on)");
  const json summary = {{"id", "classify"},
                        {"title", "Dynamic-World-style land cover of one Sentinel-2 GeoTIFF"},
                        {"version", build::version()},
                        {"jobControlOptions", json::array({"sync-execute", "async-execute", "dismiss"})},
                        {"outputTransmission", json::array({"value"})},
                        {"links", json::array({{{"href", "/processes/classify"}, {"rel", "self"}, {"type", "application/json"}}})}};
  if (s.size() == 1) return json_response({{"processes", json::array({summary})}, {"links", json::array()}});
  if (s.size() < 2 || s[1] != "classify") reject(404, "the one process is 'classify'");
  if (s.size() == 2) {
    json d = summary;
    d["description"] = "strata predict with the served checkpoint: 9 class probabilities and the label as a COG";
    d["inputs"] = {{"image", {{"title", "Sentinel-2 GeoTIFF, bands by description as strata predict reads them"},
                              {"schema", {{"type", "string"}, {"contentEncoding", "binary"},
                                          {"contentMediaType", "image/tiff; application=geotiff"}}}}}};
    d["outputs"] = {{"classification", {{"schema", {{"type", "string"}, {"contentEncoding", "binary"},
                                                    {"contentMediaType", "image/tiff; application=geotiff; profile=cloud-optimized"}}}}}};
    return json_response(d);
  }
  if (s.size() != 3 || s[2] != "execution" || req.method != "POST") reject(404, "POST /processes/classify/execution");
  const std::string tiff = execution_input(req);
  if (req.header("prefer").find("respond-async") == std::string::npos) return predict_bytes(tiff, false);
  std::optional<std::string> id;
  try {
    id = jobs_->submit(tiff);
  } catch (const UsageError& e) {
    reject(422, e.what());
  }
  if (!id) return busy("the job queue is full");
  Response r = json_response(*jobs_->status(*id), 201);
  r.headers.emplace_back("Location", "/jobs/" + *id);
  r.headers.emplace_back("Preference-Applied", "respond-async");
  return r;
}

Response Api::jobs(const std::vector<std::string>& s, const Request& req) {
  if (!jobs_) reject(404, "online prediction is off (strata serve --model CKPT turns it on)");
  if (s.size() == 1) return json_response({{"jobs", jobs_->list()}, {"links", json::array()}});
  const std::string& id = s[1];
  if (!JobStore::valid_id(id)) reject(404, "no such job");
  if (s.size() == 2 && req.method == "DELETE") {
    auto before = jobs_->status(id);
    if (!before || !jobs_->dismiss(id)) reject(404, "no such job");
    (*before)["status"] = "dismissed";
    return json_response(*before);
  }
  if (s.size() == 2) {
    auto st = jobs_->status(id);
    if (!st) reject(404, "no such job");
    return json_response(*st);
  }
  if (s.size() == 3 && s[2] == "results") {
    auto st = jobs_->status(id);
    if (!st) reject(404, "no such job");
    const auto cog = jobs_->result(id);
    if (!cog) reject(404, "result not ready: the job is " + st->value("status", "?"));
    return cog_response(*cog, "strata-" + id + ".tif");
  }
  reject(404, "no such job resource");
}

}  // namespace strata::serve
