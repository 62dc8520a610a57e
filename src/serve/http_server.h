#pragma once
// The HTTP/1.1 server under `strata serve`: Boost.Beast on a few asynchronous I/O threads that only
// read and write sockets, and a separate, bounded pool of worker threads that runs the handler
// (GDAL reads, PNG encoding), so a slow tile never stalls the sockets of other clients.
//
// Limits, each answered the way HTTP says (and each tested):
//   header block over max_header_bytes -> 431, request target over max_target_bytes -> 414,
//   body over max_body_bytes (by Content-Length, or while reading a chunked one) -> 413,
//   malformed request -> 400, all with Connection: close; a request that waits for a worker
//   longer than request_deadline, or finds max_queued requests already waiting -> 503 with
//   Retry-After; a client that sends nothing for read_timeout (keep_alive between requests), or
//   does not take the response within write_timeout, is disconnected; a connection beyond
//   max_connections open at once is answered 503 and closed.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "serve/http_types.h"

namespace strata::serve {

struct ServerLimits {
  size_t max_body_bytes = 64u << 20;
  uint32_t max_header_bytes = 16 * 1024;
  size_t max_target_bytes = 4096;
  std::chrono::milliseconds read_timeout{30000}, write_timeout{60000}, keep_alive{30000};
  std::chrono::milliseconds request_deadline{60000};
  int io_threads = 2;
  int workers = 4;
  size_t max_queued = 512;
  size_t max_connections = 1024;
};

using Handler = std::function<Response(const Request&)>;

class HttpServer {
 public:
  // Binds host:port (port 0: any free port); error naming the address when that fails.
  HttpServer(const std::string& host, uint16_t port, ServerLimits limits, Handler handler);
  ~HttpServer();  // stops and joins every thread
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  void start();  // accepts on the I/O threads; returns at once
  void stop();   // closes the listener and every connection, joins the threads
  void wait();   // blocks until stop() (from another thread or a signal handler's thread)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::serve
