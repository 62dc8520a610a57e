// `strata serve` as users run it: errors on one line with exit 1 or 2, the start line with the
// address, answers over a real socket, and SIGTERM stopping it with exit 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "serve_fixture.h"

namespace strata::test {
namespace {

TEST(ServeCli, UsageAndRuntimeErrors) {
  RunResult r = run_strata("serve --maps /nonexistent/folder");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("strata: error: /nonexistent/folder/predict.json"), std::string::npos) << r.output;
  r = run_strata("serve --maps " + serve_catalog() + " --listen 127.0.0.1:99999");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--listen"), std::string::npos);
  r = run_strata("serve --maps " + serve_catalog() + " --listen nonsense:80");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_strata("serve --maps " + serve_catalog() + " --model /nonexistent.h5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_strata("serve");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(ServeCli, ServesUntilSigterm) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string maps = serve_catalog();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(STRATA_BINARY, STRATA_BINARY, "serve", "--maps", maps.c_str(), "--listen", "127.0.0.1:0", "--quiet",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[512] = {0};
  ASSERT_NE(std::fgets(line, sizeof line, f), nullptr);
  const std::string start = line;
  EXPECT_EQ(start.rfind("strata serve: http://127.0.0.1:", 0), 0u) << start;
  EXPECT_NE(start.find("4 maps"), std::string::npos) << start;
  const int port = std::stoi(start.substr(start.find("127.0.0.1:") + 10));
  const RunResult health = [&] {
    RunResult r;
    FILE* p = popen(("python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:" + std::to_string(port) +
                     "/healthz').read().decode(), end='')\"")
                        .c_str(),
                    "r");
    char buf[64] = {0};
    while (std::fgets(buf, sizeof buf, p)) r.output += buf;
    r.exit_code = pclose(p);
    return r;
  }();
  EXPECT_EQ(health.output, "ok\n");
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::fclose(f);
}

}  // namespace
}  // namespace strata::test
