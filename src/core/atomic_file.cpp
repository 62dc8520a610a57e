#include "core/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace strata {

std::string temporary_name(const std::string& path) {
  static std::atomic<int> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void rename_into_place(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path + ": cannot rename " + tmp + " into place: " + ec.message());
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = temporary_name(path);
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(tmp + ": cannot write");
    out << text;
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(tmp);
      throw Error(tmp + ": write failed");
    }
  }
  rename_into_place(tmp, path);
}

}  // namespace strata
