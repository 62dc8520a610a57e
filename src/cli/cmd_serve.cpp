#include <chrono>
#include <filesystem>
#include <system_error>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "serve/serve.h"

namespace strata::cli {
namespace fs = std::filesystem;
namespace {

// The viewer's bundled files: share/strata/web beside the binary's bin/ (the build tree and an
// installed tree alike).
std::string default_web_root() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path root = exe.parent_path().parent_path() / "share" / "strata" / "web";
  return fs::is_regular_file(root / "index.html", ec) ? root.string() : "";
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  Args args("serve",
            "An HTTP service and web viewer over strata predict outputs: map tiles (label, probabilities, confidence,\n"
            "change), a point's probabilities over time, area per class and change in a box. Binds to 127.0.0.1\n"
            "unless --listen says otherwise; stops on SIGINT or SIGTERM. See docs/serve.md.",
            {{"maps", "DIR...", "strata predict output folders (each with predict.json)", "", true},
             {"scenes", "SPEC", "Sentinel-2 scenes for the rgb layer, matched by date (as predict's --scenes; repeatable); "
                                "default: the scenes predict.json names, where they exist", "", false},
             {"model", "CKPT", "checkpoint for online prediction (POST /api/v1/predict, /processes); off without", "", false},
             {"jobs", "DIR", "where asynchronous jobs persist (default: .serve/jobs in the first --maps folder)", "", false},
             {"max-predictions", "N", "predictions at once (more: 503 with Retry-After)", "1", false},
             {"max-upload-mpx", "MPX", "largest upload in megapixels (width x height)", "16", false},
             {"listen", "HOST:PORT", "address to listen on (port 0: any free port)", "127.0.0.1:8080", false},
             {"web", "DIR", "the viewer's files (default: share/strata/web beside the binary)", "", false},
             {"workers", "N", "worker threads for GDAL reads and tiles", "4", false},
             {"io-threads", "N", "threads for the sockets", "2", false},
             {"tile-cache-mb", "MB", "memory for the cache of recent tiles", "64", false},
             {"max-body-mb", "MB", "largest request body accepted (413 above)", "64", false},
             {"timeout-s", "S", "read and write timeout per request; also the queueing deadline", "30", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  serve::ServeOptions o;
  o.maps = args.get_all("maps");
  o.maps.insert(o.maps.end(), args.positional().begin(), args.positional().end());
  o.scenes = args.get_all("scenes");
  serve::parse_listen(args.get("listen"), o.host, o.port);
  o.api.web_root = args.has("web") ? args.get("web") : default_web_root();
  if (args.has("web") && !fs::is_regular_file(fs::path(o.api.web_root) / "index.html"))
    throw UsageError("strata serve: --web " + o.api.web_root + ": no index.html there");
  o.limits.workers = static_cast<int>(args.get_int("workers", 1, 256));
  o.limits.io_threads = static_cast<int>(args.get_int("io-threads", 1, 64));
  o.api.tile_cache_bytes = static_cast<size_t>(args.get_int("tile-cache-mb", 0, 1 << 20)) << 20;
  o.limits.max_body_bytes = static_cast<size_t>(args.get_int("max-body-mb", 1, 4096)) << 20;
  const std::chrono::milliseconds timeout{args.get_int("timeout-s", 1, 3600) * 1000};
  o.limits.read_timeout = o.limits.write_timeout = o.limits.request_deadline = timeout;
  o.api.model = args.get("model");
  if (!o.api.model.empty() && !fs::is_regular_file(o.api.model))
    throw UsageError("strata serve: --model " + o.api.model + ": no such file");
  o.api.jobs_dir = args.has("jobs") ? args.get("jobs") : (fs::path(o.maps.front()) / ".serve" / "jobs").string();
  o.api.predict.max_concurrent = static_cast<int>(args.get_int("max-predictions", 1, 64));
  o.api.predict.max_pixels = args.get_int("max-upload-mpx", 1, 1024) * 1000000;
  serve::run_serve(o);
  return 0;
}

}  // namespace strata::cli
