#include "cli/args.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "core/error.h"

namespace strata::cli {

Args::Args(std::string command, std::string summary, std::vector<OptionSpec> specs)
    : command_(std::move(command)), summary_(std::move(summary)), specs_(std::move(specs)) {
  specs_.push_back({"verbose", "", "more log lines (debug)", "", false});
  specs_.push_back({"quiet", "", "only warnings and errors", "", false});
}

const OptionSpec& Args::spec(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return s;
  throw UsageError("strata " + command_ + ": unknown option --" + name + " (see strata " + command_ + " --help)");
}

bool Args::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") return false;
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec& s = spec(name);
    if (s.value_name.empty()) {
      if (inline_value) throw UsageError("strata " + command_ + ": --" + name + " takes no value");
      value.assign(1, '1');
    } else if (!inline_value) {
      if (i + 1 >= argc) throw UsageError("strata " + command_ + ": --" + name + " needs a value (" + s.value_name + ")");
      value = argv[++i];
    }
    values_[name].push_back(value);
  }
  for (const auto& s : specs_)
    if (s.required && !has(s.name)) throw UsageError("strata " + command_ + ": --" + s.name + " is required");
  return true;
}

bool Args::has(const std::string& name) const {
  spec(name);
  return values_.count(name) > 0;
}

bool Args::flag(const std::string& name) const { return has(name); }

std::string Args::get(const std::string& name) const {
  const OptionSpec& s = spec(name);
  auto it = values_.find(name);
  if (it != values_.end()) return it->second.back();
  if (s.required) throw UsageError("strata " + command_ + ": --" + name + " is required");
  return s.default_value;
}

std::vector<std::string> Args::get_all(const std::string& name) const {
  spec(name);
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> Args::get_list(const std::string& name) const { return split_list(get(name)); }

int64_t Args::get_int(const std::string& name, int64_t min, int64_t max) const {
  const std::string v = get(name);
  errno = 0;
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError("strata " + command_ + ": --" + name + " must be an integer, not '" + v + "'");
  if (x < min || x > max)
    throw UsageError("strata " + command_ + ": --" + name + " must be in " + std::to_string(min) + ".." +
                     std::to_string(max) + ", not " + v);
  return x;
}

double Args::get_double(const std::string& name) const { return parse_number(get(name), "strata " + command_ + ": --" + name); }

double parse_number(const std::string& s, const std::string& what) {
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') throw UsageError(what + " must be a number, not '" + s + "'");
  return x;
}

std::string Args::usage() const {
  std::ostringstream o;
  o << "usage: strata " << command_ << " [options]\n\n" << summary_ << "\n\noptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    o << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << s.help;
    if (s.required) o << " (required)";
    else if (!s.default_value.empty()) o << " [" << s.default_value << "]";
    o << "\n";
  }
  return o.str();
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace strata::cli
