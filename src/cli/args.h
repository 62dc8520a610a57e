#pragma once
// A small command-line parser: --name value, --name=value, boolean --flag, repeated options
// and positionals. Anything it does not know is a UsageError (exit 2).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace strata::cli {

struct OptionSpec {
  std::string name;        // without the leading dashes
  std::string value_name;  // "" for a boolean flag
  std::string help;
  std::string default_value;
  bool required = false;
};

class Args {
 public:
  Args(std::string command, std::string summary, std::vector<OptionSpec> specs);
  // Parses argv[first..argc). Returns false when --help was asked (usage() then says what to print).
  bool parse(int argc, char** argv, int first);

  bool has(const std::string& name) const;
  bool flag(const std::string& name) const;
  std::string get(const std::string& name) const;  // the value, the default, or UsageError when required
  std::vector<std::string> get_all(const std::string& name) const;
  std::vector<std::string> get_list(const std::string& name) const;  // comma-separated values of the last use
  int64_t get_int(const std::string& name, int64_t min, int64_t max) const;
  double get_double(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  std::string usage() const;

 private:
  const OptionSpec& spec(const std::string& name) const;
  std::string command_, summary_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// A whole string as a number; UsageError naming `what` otherwise.
double parse_number(const std::string& s, const std::string& what);
// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> split_list(const std::string& s);

}  // namespace strata::cli
