// A loopback load on a running `strata serve`: N clients, each on its own keep-alive connection,
// for D seconds, on a mix of tiles (zooms 12..17 over the maps), time series and points, and, with
// an upload, online predictions. Prints one JSON line: requests, req/s, p50/p99 latency per kind,
// the status codes seen, and the server's resident memory at each quarter of the run (from
// /proc/PID); "before" is the half-way figure (caches and worker arenas fill first), "after" the end.
//   serve_load HOST PORT SECONDS CLIENTS SERVER_PID [UPLOAD.tif PREDICT_EVERY]
// Exit 1 when any answer is neither 200, 304 nor the documented 503 (busy prediction slots).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

struct Connection {
  std::string host;
  int port = 0, fd = -1;
  std::string pending;  // bytes read past the last response

  bool open() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    pending.clear();
    return connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  void close_it() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // One request, its status (0 on a broken connection) and body.
  int request(const std::string& method, const std::string& target, const std::string& body, std::string& out) {
    if (fd < 0 && !open()) return 0;
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
    if (!body.empty()) req += "Content-Type: image/tiff\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    for (size_t sent = 0; sent < req.size();) {
      const ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return close_it(), 0;
      sent += static_cast<size_t>(n);
    }
    char buf[65536];
    size_t header_end;
    while ((header_end = pending.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return close_it(), 0;
      pending.append(buf, static_cast<size_t>(n));
    }
    const std::string head = pending.substr(0, header_end);
    const int status = std::atoi(head.c_str() + 9);
    size_t length = 0;
    for (const char* key : {"Content-Length: ", "content-length: "})
      if (size_t p = head.find(key); p != std::string::npos) length = std::stoul(head.substr(p + 16));
    while (pending.size() < header_end + 4 + length) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return close_it(), 0;
      pending.append(buf, static_cast<size_t>(n));
    }
    out = pending.substr(header_end + 4, length);
    pending.erase(0, header_end + 4 + length);
    if (head.find("Connection: close") != std::string::npos) close_it();
    return status;
  }
};

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100 * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: serve_load HOST PORT SECONDS CLIENTS SERVER_PID [UPLOAD.tif PREDICT_EVERY]\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]), seconds = std::atoi(argv[3]), clients = std::atoi(argv[4]), pid = std::atoi(argv[5]);
  std::string upload;
  int predict_every = 0;
  if (argc >= 8) {
    std::ifstream in(argv[6], std::ios::binary);
    upload.assign(std::istreambuf_iterator<char>(in), {});
    predict_every = std::atoi(argv[7]);
  }
  Connection c0{host, port};
  std::string body;
  if (c0.request("GET", "/api/v1/dates", "", body) != 200) {
    std::fprintf(stderr, "serve_load: cannot read /api/v1/dates\n");
    return 1;
  }
  c0.close_it();
  const nlohmann::json dates = nlohmann::json::parse(body);
  std::vector<std::string> ids;
  for (const auto& d : dates["dates"]) ids.push_back(d["id"]);
  const double w = dates["bounds"][0], s = dates["bounds"][1], e = dates["bounds"][2], n = dates["bounds"][3];

  struct Sample {
    std::string kind;
    double ms;
  };
  std::mutex m;
  std::vector<Sample> samples;
  std::map<int, long> statuses;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const char* layers[] = {"label", "top1", "prob/water", "prob/crops", "rgb"};
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
      std::uniform_real_distribution<double> lon(w, e), lat(s, n);
      Connection c{host, port};
      std::vector<Sample> mine;
      std::map<int, long> seen;
      std::string out;
      for (long i = 0; !stop; ++i) {
        std::string kind, method = "GET", target, payload;
        const double x = lon(rng), y = lat(rng);
        const std::string& id = ids[rng() % ids.size()];
        if (predict_every > 0 && i % predict_every == predict_every - 1) {
          kind = "predict";
          method = "POST";
          target = "/api/v1/predict?f=json";
          payload = upload;
        } else if (i % 8 == 7) {
          kind = "timeseries";
          target = "/api/v1/timeseries/" + std::to_string(x) + "," + std::to_string(y);
        } else if (i % 8 == 6) {
          kind = "point";
          target = "/api/v1/point/" + std::to_string(x) + "," + std::to_string(y) + "?date=" + id;
        } else {
          kind = "tile";
          const int z = 12 + static_cast<int>(rng() % 6);
          const double nz = std::ldexp(1.0, z), r = y * M_PI / 180;
          const long tx = static_cast<long>((x + 180) / 360 * nz), ty = static_cast<long>((1 - std::asinh(std::tan(r)) / M_PI) / 2 * nz);
          target = "/api/v1/tiles/" + id + "/" + layers[rng() % 5] + "/" + std::to_string(z) + "/" + std::to_string(tx) + "/" +
                   std::to_string(ty) + ".png";
        }
        const auto t0 = Clock::now();
        const int status = c.request(method, target, payload, out);
        mine.push_back({kind, std::chrono::duration<double, std::milli>(Clock::now() - t0).count()});
        ++seen[status];
      }
      std::lock_guard lock(m);
      samples.insert(samples.end(), mine.begin(), mine.end());
      for (auto [k, v] : seen) statuses[k] += v;
    });
  std::vector<long> rss;  // at each quarter of the run
  for (int q = 0; q < 4; ++q) {
    std::this_thread::sleep_for(std::chrono::milliseconds(seconds * 250));
    rss.push_back(rss_kib(pid));
  }
  stop = true;
  for (auto& t : threads) t.join();

  nlohmann::json out = {{"clients", clients}, {"seconds", seconds}, {"requests", samples.size()},
                        {"requests_per_s", static_cast<double>(samples.size()) / seconds},
                        {"rss_kib_quarters", rss}, {"rss_kib_before", rss[1]}, {"rss_kib_after", rss[3]}};
  std::map<std::string, std::vector<double>> by_kind;
  for (const Sample& x : samples) by_kind[x.kind].push_back(x.ms), by_kind["all"].push_back(x.ms);
  for (auto& [k, v] : by_kind)
    out["latency_ms"][k] = {{"n", v.size()}, {"p50", percentile(v, 50)}, {"p99", percentile(v, 99)}};
  bool bad = false;
  for (auto [k, v] : statuses) {
    out["status"][std::to_string(k)] = v;
    bad = bad || !(k == 200 || k == 304 || k == 503);
  }
  std::printf("%s\n", out.dump().c_str());
  return bad ? 1 : 0;
}
