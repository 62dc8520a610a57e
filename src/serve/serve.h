#pragma once
// `strata serve`: the catalog of predict outputs behind the HTTP API and the viewer, until
// SIGINT or SIGTERM.
#include <cstdint>
#include <string>
#include <vector>

#include "serve/api.h"
#include "serve/http_server.h"

namespace strata::serve {

struct ServeOptions {
  std::vector<std::string> maps;    // predict output folders
  std::vector<std::string> scenes;  // --scenes specs (as predict's) for the rgb layer
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  ApiOptions api;
  ServerLimits limits;
};

// The catalog of `maps`, with the scenes of `scenes` attached by date (the work folder takes the
// VRTs built for STAC items).
Catalog load_catalog(const ServeOptions& options, const std::string& work_dir);

// "HOST:PORT" or "[V6]:PORT" or "PORT"; UsageError else.
void parse_listen(const std::string& listen, std::string& host, uint16_t& port);

// Serves until a SIGINT or SIGTERM; prints "strata serve: http://HOST:PORT/" on stdout once
// listening (port 0 picks a free one, which the line gives).
void run_serve(const ServeOptions& options);

}  // namespace strata::serve
