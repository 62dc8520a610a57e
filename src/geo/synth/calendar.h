#pragma once
// Dates of the synthetic time series: civil dates as day numbers, day of year, ISO strings.
#include <cstdint>
#include <string>
#include <vector>

namespace strata::geo::synth {

struct Date {
  int64_t day = 0;  // days since 1970-01-01
  int year = 1970, month = 1, dom = 1;
  int doy = 1;  // 1..366
  std::string iso() const;  // "YYYY-MM-DD"
};

// Parses "YYYY-MM-DD"; strata::Error for anything else or an impossible date.
Date parse_date(const std::string& text);
Date date_from_day(int64_t day);
// K dates spread evenly over one year from `start` (the first is `start`).
std::vector<Date> spread_over_year(const Date& start, int count);

}  // namespace strata::geo::synth
