#include "src/query/interval_text.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace runledger {

std::string FormatInterval(const Interval& interval) {
  std::string text;
  if (interval.days != 0) {
    absl::StrAppend(&text, interval.days, interval.days == 1 ? " day" : " days");
  }
  if (interval.micros == 0 && interval.days != 0) return text;
  if (interval.days != 0) text.push_back(' ');
  if (interval.micros < 0) {
    text.push_back('-');
  } else if (interval.micros > 0 && interval.days < 0) {
    text.push_back('+');
  }
  const uint64_t micros = static_cast<uint64_t>(std::llabs(interval.micros));
  const uint64_t seconds = micros / 1000000;
  absl::StrAppendFormat(&text, "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (const uint64_t fraction = micros % 1000000; fraction != 0) {
    std::string digits = absl::StrFormat("%06d", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    absl::StrAppend(&text, ".", digits);
  }
  return text;
}

Interval AverageInterval(const Interval& sum, int64_t count) {
  const double factor = static_cast<double>(count);
  Interval average;
  const double days = static_cast<double>(sum.days) / factor;
  average.days = static_cast<int64_t>(days);  // truncated toward zero, as C casts do
  // The fraction of a day moves into time, rounded to whole microseconds.
  double day_rest_seconds = (days - static_cast<double>(average.days)) * 86400.0;
  day_rest_seconds = std::rint(day_rest_seconds * 1e6) / 1e6;
  if (std::fabs(day_rest_seconds) >= 86400.0) {
    const int64_t whole_days = static_cast<int64_t>(day_rest_seconds / 86400.0);
    average.days += whole_days;
    day_rest_seconds -= static_cast<double>(whole_days) * 86400.0;
  }
  average.micros = static_cast<int64_t>(
      std::rint(static_cast<double>(sum.micros) / factor + day_rest_seconds * 1e6));
  return average;
}

}  // namespace runledger
