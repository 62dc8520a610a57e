#include "serve/serve.h"

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "pipeline/scene_inputs.h"

namespace strata::serve {

void parse_listen(const std::string& listen, std::string& host, uint16_t& port) {
  std::string h = "127.0.0.1", p = listen;
  const size_t colon = listen.rfind(':');
  if (colon != std::string::npos) {
    h = listen.substr(0, colon);
    p = listen.substr(colon + 1);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  }
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) > 65535)
    throw UsageError("strata serve: --listen " + listen + ": expected HOST:PORT, e.g. 127.0.0.1:8080");
  host = h;
  port = static_cast<uint16_t>(std::stoi(p));
}

Catalog load_catalog(const ServeOptions& o, const std::string& work_dir) {
  Catalog c = Catalog::load(o.maps);
  if (!o.scenes.empty()) {
    std::vector<std::pair<std::string, std::string>> dated;
    for (const pipeline::SceneInput& s : pipeline::resolve_scenes(o.scenes, work_dir))
      if (!s.date.empty()) dated.emplace_back(s.date, s.path);
    c.attach_scenes(dated);
  }
  return c;
}

void run_serve(const ServeOptions& o) {
  // Block the stop signals before any thread starts, so that only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  Api api(load_catalog(o, (std::filesystem::path(o.maps.front()) / ".serve").string()), o.api);
  HttpServer server(o.host, o.port, o.limits, [&api](const Request& r) { return api.handle(r); });
  server.start();
  const bool v6 = o.host.find(':') != std::string::npos;
  std::printf("strata serve: http://%s%s%s:%u/ (%zu maps, %s to %s)\n", v6 ? "[" : "", o.host.c_str(), v6 ? "]" : "",
              server.port(), api.catalog().entries().size(), api.catalog().entries().front().id.c_str(),
              api.catalog().entries().back().id.c_str());
  std::fflush(stdout);
  if (o.api.web_root.empty()) log::warn("serve: no viewer files found (--web DIR); the API is served without the viewer");
  if (o.host != "127.0.0.1" && o.host != "::1" && o.host != "localhost")
    log::warn("serve: listening on ", o.host, ", not only this machine: put it behind a reverse proxy with TLS");
  int sig = 0;
  sigwait(&stop, &sig);
  log::info("serve: signal ", sig, ", stopping");
  server.stop();
}

}  // namespace strata::serve
