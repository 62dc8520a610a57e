// The HTTP server's limits on real loopback sockets: each limit answered as documented in
// http_server.h, keep-alive, a full worker queue, and the API through the server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "core/error.h"
#include "serve/http_server.h"
#include "serve/serve.h"

namespace strata::test {
namespace {
using namespace std::chrono_literals;

int connect_to(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (413, 431): what it said is still readable
    sent += static_cast<size_t>(n);
  }
}

// Everything the server sends until it closes the connection or `limit` passes.
std::string read_until_close(int fd, std::chrono::milliseconds limit = 5000ms) {
  std::string out;
  const auto end = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string exchange(uint16_t port, const std::string& request) {
  const int fd = connect_to(port);
  send_all(fd, request);
  std::string r = read_until_close(fd);
  close(fd);
  return r;
}

int status_of(const std::string& response) { return response.size() > 12 ? std::stoi(response.substr(9, 3)) : -1; }

serve::Response echo(const serve::Request& r) {
  serve::Response out;
  out.content_type = "text/plain";
  out.body = r.method + " " + r.target + " " + std::to_string(r.body.size());
  return out;
}

struct Server {
  explicit Server(serve::ServerLimits limits, serve::Handler h = echo) : s("127.0.0.1", 0, limits, std::move(h)) { s.start(); }
  serve::HttpServer s;
  uint16_t port() const { return s.port(); }
};

serve::ServerLimits small_limits() {
  serve::ServerLimits l;
  l.max_body_bytes = 1000;
  l.max_header_bytes = 2000;
  l.max_target_bytes = 300;
  l.read_timeout = l.keep_alive = 300ms;
  l.workers = 2;
  return l;
}

TEST(ServeHttp, AnswersAndKeepsTheConnectionAlive) {
  Server srv(small_limits());
  const int fd = connect_to(srv.port());
  send_all(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string r = read_until_close(fd);
  close(fd);
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("GET /a 0"), std::string::npos);
  EXPECT_NE(r.find("GET /b 0"), std::string::npos);  // the same connection served both
  EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos);
}

TEST(ServeHttp, BodyOverTheLimitIs413ByLengthAndWhileChunked) {
  Server srv(small_limits());
  std::string r = exchange(srv.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_NE(r.find("application/problem+json"), std::string::npos);
  std::string chunked = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) chunked += "1f4\r\n" + std::string(500, 'b') + "\r\n";
  chunked += "0\r\n\r\n";
  r = exchange(srv.port(), chunked);
  EXPECT_EQ(status_of(r), 413) << r;
  r = exchange(srv.port(), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\nConnection: close\r\n\r\n" + std::string(900, 'a'));
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("POST /x 900"), std::string::npos);
}

TEST(ServeHttp, HeaderBlockOverTheLimitIs431) {
  Server srv(small_limits());
  const std::string r = exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(3000, 'h') + "\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r;
}

TEST(ServeHttp, TargetOverTheLimitIs414) {
  Server srv(small_limits());
  const std::string r = exchange(srv.port(), "GET /" + std::string(400, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(r), 414) << r;
}

TEST(ServeHttp, MalformedRequestIs400) {
  Server srv(small_limits());
  const std::string r = exchange(srv.port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(status_of(r), 400) << r;
}

TEST(ServeHttp, SilentClientIsDisconnectedAfterTheReadTimeout) {
  Server srv(small_limits());
  const int fd = connect_to(srv.port());
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n");  // never ends its header block
  const auto t0 = std::chrono::steady_clock::now();
  const std::string r = read_until_close(fd, 5000ms);
  const auto waited = std::chrono::steady_clock::now() - t0;
  close(fd);
  EXPECT_TRUE(r.empty());
  EXPECT_LT(waited, 4000ms);  // closed by the server, not by this test's own limit
}

TEST(ServeHttp, FullQueueIs503WithRetryAfter) {
  serve::ServerLimits l = small_limits();
  l.workers = 1;
  l.max_queued = 1;
  std::atomic<bool> release{false};
  Server srv(l, [&](const serve::Request& r) {
    while (!release) std::this_thread::sleep_for(5ms);
    return echo(r);
  });
  // The first request occupies the only worker, the second waits in the queue, the third finds it full.
  std::vector<int> fds;
  for (int i = 0; i < 2; ++i) {
    fds.push_back(connect_to(srv.port()));
    send_all(fds.back(), "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::this_thread::sleep_for(100ms);
  }
  const std::string busy = exchange(srv.port(), "GET /third HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(busy), 503) << busy;
  EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos);
  release = true;
  for (int fd : fds) {
    EXPECT_EQ(status_of(read_until_close(fd)), 200);
    close(fd);
  }
}

TEST(ServeHttp, RequestWaitingPastItsDeadlineIs503) {
  serve::ServerLimits l = small_limits();
  l.workers = 1;
  l.request_deadline = 100ms;
  Server srv(l, [](const serve::Request& r) {
    if (r.target == "/slow") std::this_thread::sleep_for(400ms);
    return echo(r);
  });
  const int slow = connect_to(srv.port());
  send_all(slow, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  const std::string late = exchange(srv.port(), "GET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(late), 503) << late;
  EXPECT_EQ(status_of(read_until_close(slow)), 200);
  close(slow);
}

TEST(ServeHttp, ConnectionsBeyondTheLimitAre503) {
  serve::ServerLimits l = small_limits();
  l.max_connections = 2;
  l.read_timeout = l.keep_alive = 3000ms;
  Server srv(l);
  const int a = connect_to(srv.port()), b = connect_to(srv.port());
  std::this_thread::sleep_for(100ms);  // both accepted and waiting for a request
  const std::string third = exchange(srv.port(), "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(third), 503) << third;
  EXPECT_NE(third.find("Retry-After: 1"), std::string::npos);
  send_all(a, "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(read_until_close(a)), 200);
  close(a);
  close(b);
  std::this_thread::sleep_for(100ms);  // both gone: room again
  EXPECT_EQ(status_of(exchange(srv.port(), "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")), 200);
}

TEST(ServeHttp, HeadHasTheLengthButNoBody) {
  Server srv(small_limits());
  const std::string r = exchange(srv.port(), "HEAD /abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("Content-Length: 11"), std::string::npos) << r;  // of "HEAD /abc 0"
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
}

TEST(ServeHttp, BindsToLoopbackByDefault) {
  const serve::ServeOptions o;
  EXPECT_EQ(o.host, "127.0.0.1");
  std::string host;
  uint16_t port = 0;
  serve::parse_listen("0.0.0.0:9000", host, port);
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9000);
  serve::parse_listen("[::1]:80", host, port);
  EXPECT_EQ(host, "::1");
  EXPECT_THROW(serve::parse_listen("localhost:99999", host, port), UsageError);
  EXPECT_THROW(serve::HttpServer("not-an-ip", 0, {}, echo), UsageError);
}

}  // namespace
}  // namespace strata::test
