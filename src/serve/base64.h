#pragma once
// Base64 (RFC 4648, standard alphabet, '=' padding; whitespace skipped) for the GeoTIFF that an
// OGC API - Processes execute document carries inline as "value".
#include <optional>
#include <string>

namespace strata::serve {

// nullopt for a character outside the alphabet or a length that is not a whole number of quanta.
std::optional<std::string> base64_decode(const std::string& text);

}  // namespace strata::serve
