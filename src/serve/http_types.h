#pragma once
// A request and a response as the service's handlers see them: plain values, so every endpoint
// is tested without a socket. The HTTP server (http_server.h) turns bytes into these and back.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::serve {

struct Request {
  std::string method;                         // GET, HEAD, POST, ...
  std::string target;                         // as sent: path and query, still percent-encoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string path() const;                   // target before '?', still encoded
  // The query's parameters, percent-decoded ('+' is a space); nullopt when the query is malformed
  // (a bad %-escape or a NUL).
  std::optional<std::map<std::string, std::string>> query() const;
  std::string header(const std::string& lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and Content-Length
};

// RFC 9457 problem details: {"type", "title", "status", "detail"} as application/problem+json.
Response problem(int status, const std::string& detail);
const char* status_reason(int status);

// A strong ETag for these bytes: their FNV-1a hash in quotes.
std::string etag_of(const std::string& bytes);

// %XX-decoding; nullopt for a malformed escape or a decoded NUL.
std::optional<std::string> percent_decode(const std::string& s, bool plus_is_space);

}  // namespace strata::serve
