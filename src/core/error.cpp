#include "core/error.h"

#include <string_view>

namespace strata {

std::string where(const std::source_location& loc) {
  std::string_view file = loc.file_name();
  // Paths relative to the source tree read better than absolute build paths.
  if (auto pos = file.rfind("/src/"); pos != std::string_view::npos) file.remove_prefix(pos + 1);
  else if (auto k = file.rfind("/kernels/"); k != std::string_view::npos) file.remove_prefix(k + 1);
  return std::string(file) + ":" + std::to_string(loc.line());
}

}  // namespace strata
