#pragma once
// What `strata info` reports: the build and what this process finds at run time.
#include <string>
#include <utility>
#include <vector>

namespace strata::pipeline {

struct BuildReport {
  std::string version, git_revision, build_type, compiler;
  std::vector<std::string> backends;                          // built: "cpu", "cuda"
  std::vector<std::string> devices;                           // found now
  std::vector<std::pair<std::string, std::string>> libraries;  // name, version or "not built"
};

BuildReport collect_build_report();
std::string to_text(const BuildReport& r);
std::string to_json(const BuildReport& r);

}  // namespace strata::pipeline
