#pragma once
// Helpers shared by the tests: a temporary directory that cleans up, running the strata
// binary, where the real samples are, and the message of an expected error.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"

namespace strata::test {

// The message of the strata::Error that f throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string real_data(const std::string& rel) { return std::string(STRATA_SHARED_DATA) + "/" + rel; }
inline bool have_real_data() { return std::filesystem::is_directory(STRATA_SHARED_DATA); }

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `strata ARGS` through the shell, capturing stdout+stderr.
inline RunResult run_strata(const std::string& args) {
  RunResult r;
  const std::string cmd = std::string(STRATA_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// tests/tools/range_http_server.py serving `dir` on 127.0.0.1 (Range requests, as object stores);
// port() is 0 when it could not start. Stopped when destroyed.
class HttpServer {
 public:
  explicit HttpServer(const std::string& dir) {
    int fds[2];
    if (pipe(fds) != 0) return;
    const std::string script = std::string(STRATA_SOURCE_DIR) + "/tests/tools/range_http_server.py";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execlp("python3", "python3", script.c_str(), dir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    if (FILE* f = fdopen(fds[0], "r")) {
      if (std::fscanf(f, "%d", &port_) != 1) port_ = 0;
      std::fclose(f);
    }
  }
  ~HttpServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  int port() const { return port_; }
  std::string url(const std::string& name) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + name; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace strata::test
