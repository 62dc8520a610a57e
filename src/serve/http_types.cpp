#include "serve/http_types.h"

#include <nlohmann/json.hpp>

#include "core/fnv1a.h"

namespace strata::serve {

std::optional<std::string> percent_decode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h < 0 || l < 0) return std::nullopt;
      c = static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

std::string etag_of(const std::string& bytes) {
  std::string tag(1, '"');
  tag += Fnv1a().add(bytes).hex();
  tag += '"';
  return tag;
}

std::string Request::path() const { return target.substr(0, target.find('?')); }

std::optional<std::map<std::string, std::string>> Request::query() const {
  std::map<std::string, std::string> out;
  const size_t q = target.find('?');
  if (q == std::string::npos) return out;
  const std::string qs = target.substr(q + 1);
  size_t start = 0;
  while (start <= qs.size()) {
    size_t end = qs.find('&', start);
    if (end == std::string::npos) end = qs.size();
    const std::string part = qs.substr(start, end - start);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      auto key = percent_decode(part.substr(0, eq), true);
      auto value = percent_decode(eq == std::string::npos ? "" : part.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      out[*key] = *value;
    }
    start = end + 1;
  }
  return out;
}

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

const char* status_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

Response problem(int status, const std::string& detail) {
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = nlohmann::json{{"type", "about:blank"}, {"title", status_reason(status)}, {"status", status}, {"detail", detail}}
               .dump() +
           "\n";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace strata::serve
