#include "geo/synth/calendar.h"

#include <chrono>
#include <cstdio>

#include "core/error.h"

namespace strata::geo::synth {

using namespace std::chrono;

Date date_from_day(int64_t day) {
  const sys_days sd{days{day}};
  const year_month_day ymd{sd};
  Date d;
  d.day = day;
  d.year = static_cast<int>(ymd.year());
  d.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  d.dom = static_cast<int>(static_cast<unsigned>(ymd.day()));
  const sys_days jan1{ymd.year() / January / 1};
  d.doy = static_cast<int>((sd - jan1).count()) + 1;
  return d;
}

Date parse_date(const std::string& text) {
  int y = 0, m = 0, dd = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3)
    throw Error("'" + text + "' is not a date of the form YYYY-MM-DD");
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(dd)}};
  if (!ymd.ok() || y < 1900 || y > 2200) throw Error("'" + text + "' is not a valid date");
  return date_from_day(sys_days{ymd}.time_since_epoch().count());
}

std::string Date::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, dom);
  return buf;
}

std::vector<Date> spread_over_year(const Date& start, int count) {
  std::vector<Date> out;
  for (int i = 0; i < count; ++i) out.push_back(date_from_day(start.day + (365LL * i) / count));
  return out;
}

}  // namespace strata::geo::synth
