#include "serve/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/log.h"

namespace strata::serve {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Shared {
  ServerLimits limits;
  Handler handler;
  asio::thread_pool workers;
  std::atomic<size_t> queued{0};
  std::atomic<size_t> connections{0};
  Shared(ServerLimits l, Handler h) : limits(l), handler(std::move(h)), workers(static_cast<size_t>(std::max(1, l.workers))) {}
};

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool head) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "strata");
  res.set(http::field::content_type, r.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET
  return res;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared) : stream_(std::move(socket)), s_(shared) { ++s_.connections; }
  ~Session() { --s_.connections; }
  void start() {
    if (s_.connections.load() > s_.limits.max_connections) {
      Response r = problem(503, "too many connections (" + std::to_string(s_.limits.max_connections) + ")");
      r.headers.emplace_back("Retry-After", "1");
      keep_alive_ = false;
      return write(r, false);
    }
    read_header();
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(s_.limits.max_header_bytes);
    parser_->body_limit(s_.limits.max_body_bytes);
    stream_.expires_after(first_ ? s_.limits.read_timeout : s_.limits.keep_alive);
    first_ = false;
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    // Beast checks a Content-Length against the body limit as soon as it reads the header.
    if (ec == http::error::body_limit)
      return fail(413, "the request body exceeds " + std::to_string(s_.limits.max_body_bytes) + " bytes");
    if (ec == http::error::header_limit) return fail(431, "the request's header block exceeds " + std::to_string(s_.limits.max_header_bytes) + " bytes");
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      return close();
    if (ec) return fail(400, "malformed request: " + ec.message());
    const auto& h = parser_->get();
    if (h.target().size() > s_.limits.max_target_bytes)
      return fail(414, "the request target exceeds " + std::to_string(s_.limits.max_target_bytes) + " bytes");
    if (const auto n = parser_->content_length(); n && *n > s_.limits.max_body_bytes)
      return fail(413, "the request body (" + std::to_string(*n) + " bytes) exceeds " + std::to_string(s_.limits.max_body_bytes) + " bytes");
    stream_.expires_after(s_.limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code e, size_t) { self->on_body(e); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return fail(413, "the request body exceeds " + std::to_string(s_.limits.max_body_bytes) + " bytes");
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof) return close();
    if (ec) return fail(400, "malformed request: " + ec.message());
    auto msg = parser_->release();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    dispatch(std::move(req));
  }

  // The handler runs on a worker; the response goes back to this connection's strand.
  void dispatch(Request req) {
    if (s_.queued.load() >= s_.limits.max_queued) {
      Response r = problem(503, "the server is busy (" + std::to_string(s_.limits.max_queued) + " requests waiting)");
      r.headers.emplace_back("Retry-After", "1");
      return write(r, req.method == "HEAD");
    }
    ++s_.queued;
    const auto enqueued = Clock::now();
    asio::post(s_.workers, [self = shared_from_this(), req = std::move(req), enqueued]() mutable {
      --self->s_.queued;
      Response r;
      if (Clock::now() - enqueued > self->s_.limits.request_deadline) {
        r = problem(503, "the request waited longer than its deadline for a worker");
        r.headers.emplace_back("Retry-After", "1");
      } else {
        try {
          r = self->s_.handler(req);
        } catch (const std::exception& e) {
          log::warn("serve: ", req.method, " ", req.target, ": ", e.what());
          r = problem(500, e.what());
        }
      }
      const bool head = req.method == "HEAD";
      asio::post(self->stream_.get_executor(), [self, r = std::move(r), head] { self->write(r, head); });
    });
  }

  void fail(int status, const std::string& detail) {
    keep_alive_ = false;
    write(problem(status, detail), false);
  }

  void write(const Response& r, bool head) {
    auto res = std::make_shared<http::response<http::string_body>>(to_beast(r, version_, head));
    res->keep_alive(keep_alive_);
    stream_.expires_after(s_.limits.write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->read_header();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Shared& s_;
  unsigned version_ = 11;
  bool keep_alive_ = true, first_ = true;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<Shared> shared;
  std::vector<std::thread> threads;
  int io_threads = 1;
  std::mutex m;
  std::condition_variable cv;
  bool stopped = false;

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), *shared)->start();
      accept();
    });
  }
};

HttpServer::HttpServer(const std::string& host, uint16_t port, ServerLimits limits, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared = std::make_unique<Shared>(limits, std::move(handler));
  impl_->io_threads = std::max(1, limits.io_threads);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw UsageError("strata serve: --listen " + host + ": not an IP address");
  const tcp::endpoint ep{address, port};
  const std::string where = host + ":" + std::to_string(port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw Error(where + ": cannot listen: " + ec.message());
}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::start() {
  impl_->accept();
  for (int i = 0; i < impl_->io_threads; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void HttpServer::stop() {
  {
    std::lock_guard lock(impl_->m);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->shared->workers.join();  // no new responses; finish the requests in hand
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->cv.notify_all();
}

void HttpServer::wait() {
  std::unique_lock lock(impl_->m);
  impl_->cv.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace strata::serve
