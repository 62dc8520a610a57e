#include "serve/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>


namespace strata::serve {
namespace fs = std::filesystem;

StaticFiles::StaticFiles(std::string root) {
  std::error_code ec;
  if (!root.empty() && fs::is_directory(root, ec)) root_ = fs::canonical(root, ec).string();
}

std::optional<std::string> StaticFiles::resolve(const std::string& path) const {
  if (root_.empty() || path.empty() || path[0] != '/') return std::nullopt;
  const auto decoded = percent_decode(path, false);
  if (!decoded) return std::nullopt;  // bad escape or NUL
  std::string rel = decoded->substr(1);
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  if (rel.find('\\') != std::string::npos) return std::nullopt;
  for (size_t start = 0; start <= rel.size();) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    const std::string segment = rel.substr(start, end - start);
    if (segment.empty() || segment[0] == '.') return std::nullopt;  // "", ".", "..", hidden
    start = end + 1;
  }
  std::error_code ec;
  const fs::path full = fs::weakly_canonical(fs::path(root_) / rel, ec);
  if (ec) return std::nullopt;
  const std::string s = full.string();
  if (s.size() <= root_.size() || s.compare(0, root_.size(), root_) != 0 || s[root_.size()] != '/') return std::nullopt;
  if (!fs::is_regular_file(full, ec)) return std::nullopt;
  return s;
}

const char* mime_type(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".csv") return "text/csv; charset=utf-8";
  return "application/octet-stream";
}

Response StaticFiles::serve(const std::string& path, const std::string& if_none_match) const {
  const auto decoded = percent_decode(path, false);
  const bool hostile = !decoded || decoded->find('\\') != std::string::npos || decoded->find("/.") != std::string::npos;
  const auto file = resolve(path);
  if (!file) return hostile ? problem(403, "refused path") : problem(404, "no such file");
  std::ifstream in(*file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in) return problem(404, "no such file");
  Response r;
  r.content_type = mime_type(*file);
  r.body = body.str();
  const std::string etag = etag_of(r.body);
  r.headers = {{"ETag", etag}, {"Cache-Control", "no-cache"}};
  // The viewer may load nothing from elsewhere: a browser refuses any other origin.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'");
  if (if_none_match == etag) {
    r.status = 304;
    r.body.clear();
  }
  return r;
}

}  // namespace strata::serve
