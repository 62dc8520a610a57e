#pragma once
// The viewer's files, served from one folder. A request path is percent-decoded once and refused
// (403) when it holds a NUL, a backslash, a ".." or "." segment or a hidden name, then resolved
// against the canonical root (symbolic links followed) and refused when it lands outside it.
#include <optional>
#include <string>

#include "serve/http_types.h"

namespace strata::serve {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root);  // "" or a missing folder: every request is 404
  // `path`: the request path, still encoded ("/", "/app.js", ...).
  Response serve(const std::string& path, const std::string& if_none_match) const;
  const std::string& root() const { return root_; }

  // The file under root that `path` names, or nullopt when it is refused; exposed for the tests.
  std::optional<std::string> resolve(const std::string& path) const;

 private:
  std::string root_;  // canonical, or ""
};

const char* mime_type(const std::string& path);

}  // namespace strata::serve
