#include "geo/gdal_error.h"

#include <cpl_error.h>
#include <gdal.h>

#include <cstdlib>
#include <mutex>

#include "core/error.h"
#include "core/log.h"

namespace strata::geo {
namespace {

// Errors are kept for CPLGetLastErrorMsg (GDAL does that before calling the handler);
// warnings go to strata's log at debug level rather than to stderr unannounced.
void CPL_STDCALL quiet_handler(CPLErr cls, CPLErrorNum, const char* msg) {
  if (cls == CE_Warning) log::debug("GDAL: ", msg);
}

}  // namespace

void gdal_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(quiet_handler);
    // GDAL's block cache defaults to 5% of RAM (1.2 GB here), which dominated the memory of
    // streaming a 10980 x 10980 tile; strata reads and writes in strips and needs far less.
    if (!std::getenv("GDAL_CACHEMAX")) GDALSetCacheMax64(int64_t{256} << 20);
  });
}

std::string gdal_take_last_error() {
  std::string msg = CPLGetLastErrorMsg();
  CPLErrorReset();
  return msg;
}

void throw_gdal_error(const std::string& path, const std::string& what, const std::source_location& loc) {
  std::string gdal_msg = gdal_take_last_error();
  throw Error(path + ": " + what + " failed at " + where(loc) + (gdal_msg.empty() ? "" : ": " + gdal_msg));
}

}  // namespace strata::geo
