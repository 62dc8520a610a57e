#pragma once
// GDAL reports errors through a handler and CPLGetLastErrorMsg. strata silences GDAL's own
// printing and turns failures into strata::Error naming the file, the statement, file:line
// and GDAL's message.
#include <source_location>
#include <string>

namespace strata::geo {

// Installs the quiet handler once; called by every entry point that talks to GDAL.
void gdal_init();

// GDAL's last error message ("" when none) and reset it.
std::string gdal_take_last_error();

[[noreturn]] void throw_gdal_error(const std::string& path, const std::string& what,
                                   const std::source_location& loc = std::source_location::current());

}  // namespace strata::geo

// For calls that return CPLErr: throws with the statement text when it is not CE_None.
#define STRATA_GDAL_CHECK(stmt, path)                                        \
  do {                                                                       \
    gdal_take_last_error();                                                  \
    if ((stmt) != CE_None) ::strata::geo::throw_gdal_error((path), #stmt);   \
  } while (0)
