#include "src/query/cel/cel_time.h"

#include <cctype>
#include <cstdlib>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel {
namespace {

using int128 = __int128;

const absl::Time kMinTime = absl::FromUnixSeconds(kMinTimestampSeconds);
const absl::Time kMaxTime = absl::FromUnixSeconds(kMaxTimestampSeconds + 1);  // exclusive
const absl::Duration kMaxDuration = absl::Nanoseconds(std::numeric_limits<int64_t>::max());
const absl::Duration kMinDuration = absl::Nanoseconds(std::numeric_limits<int64_t>::min());

// Nanoseconds per unit of a Go duration suffix, or 0 if `unit` is not one.
int64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;  // us, µs, μs
  if (unit == "ms") return 1000000;
  if (unit == "s") return 1000000000;
  if (unit == "m") return int64_t{60} * 1000000000;
  if (unit == "h") return int64_t{3600} * 1000000000;
  return 0;
}

// Parses one "<number><unit>" term at the front of `text`, adding its nanoseconds to `total`.
bool ParseDurationTerm(std::string_view* text, int128* total) {
  std::string_view s = *text;
  size_t i = 0;
  int128 whole = 0, frac = 0, scale = 1;
  bool digits = false;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    whole = whole * 10 + (s[i] - '0');
    digits = true;
    if (whole > (int128{1} << 64)) return false;
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      digits = true;
      if (scale < int128{1000000000000000000}) {  // further digits are below 1 ns
        frac = frac * 10 + (s[i] - '0');
        scale *= 10;
      }
    }
  }
  if (!digits) return false;
  size_t unit_end = i;
  while (unit_end < s.size() && s[unit_end] != '.' &&
         !std::isdigit(static_cast<unsigned char>(s[unit_end]))) {
    ++unit_end;
  }
  int64_t unit = UnitNanos(s.substr(i, unit_end - i));
  if (unit == 0) return false;
  *total += whole * unit + frac * unit / scale;
  *text = s.substr(unit_end);
  return *total <= (int128{1} << 80);
}

bool ParseTwoDigits(std::string_view s, int* out) {
  return s.size() == 2 && absl::SimpleAtoi(absl::string_view(s.data(), s.size()), out);
}

}  // namespace

Value CheckedTimestamp(absl::Time t) {
  if (t < kMinTime || t >= kMaxTime) return Value::ErrorView("timestamp out of range");
  return Value::Timestamp(t);
}

Value CheckedDuration(absl::Duration d) {
  if (d < kMinDuration || d > kMaxDuration) return Value::ErrorView("duration out of range");
  return Value::Duration(d);
}

Value ParseTimestamp(std::string_view text) {
  absl::Time t;
  std::string error;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front())) ||
      !absl::ParseTime(absl::RFC3339_full, absl::string_view(text.data(), text.size()), &t,
                       &error)) {
    return Value::Error(absl::StrCat("invalid timestamp: '", ToAbsl(text), "'"));
  }
  return CheckedTimestamp(t);
}

Value ParseDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int128 nanos = 0;
  if (s == "0") return Value::Duration(absl::ZeroDuration());
  if (s.empty()) return Value::Error(absl::StrCat("invalid duration: '", ToAbsl(text), "'"));
  while (!s.empty()) {
    if (!ParseDurationTerm(&s, &nanos)) {
      return Value::Error(absl::StrCat("invalid duration: '", ToAbsl(text), "'"));
    }
  }
  if (negative) nanos = -nanos;
  if (nanos > std::numeric_limits<int64_t>::max() || nanos < std::numeric_limits<int64_t>::min()) {
    return Value::ErrorView("duration out of range");
  }
  return Value::Duration(absl::Nanoseconds(static_cast<int64_t>(nanos)));
}

std::string FormatCelTimestamp(absl::Time t) {
  return absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string FormatCelDuration(absl::Duration d) {
  std::string out = d < absl::ZeroDuration() ? "-" : "";
  absl::Duration magnitude = absl::AbsDuration(d);
  int64_t seconds = absl::IDivDuration(magnitude, absl::Seconds(1), &magnitude);
  int64_t nanos = absl::ToInt64Nanoseconds(magnitude);
  absl::StrAppend(&out, seconds);
  if (nanos != 0) {
    std::string frac = absl::StrCat(1000000000 + nanos).substr(1);
    frac.erase(frac.find_last_not_of('0') + 1);
    absl::StrAppend(&out, ".", frac);
  }
  out += "s";
  return out;
}

bool LoadCelTimeZone(std::string_view name, absl::TimeZone* zone) {
  size_t colon = name.find(':');
  if (colon == std::string_view::npos) {
    return absl::LoadTimeZone(std::string(name), zone);
  }
  std::string_view hours = name.substr(0, colon);
  bool negative = false;
  if (!hours.empty() && (hours.front() == '+' || hours.front() == '-')) {
    negative = hours.front() == '-';
    hours.remove_prefix(1);
  }
  int h = 0, m = 0;
  if (!ParseTwoDigits(hours, &h) || !ParseTwoDigits(name.substr(colon + 1), &m) || h > 23 ||
      m > 59) {
    return false;
  }
  int offset = (h * 60 + m) * 60;
  *zone = absl::FixedTimeZone(negative ? -offset : offset);
  return true;
}

}  // namespace runledger::cel
