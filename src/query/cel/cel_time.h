// CEL's timestamps and durations as text and within their ranges.
//
// Timestamps are valid from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z (protobuf's
// Timestamp range). Durations are what int64 nanoseconds hold (about +-292 years), as in cel-go
// and the conformance tests; that lies within protobuf's +-315576000000 s. Every function here
// returns an error Value rather than a value outside these ranges.
#ifndef RUNLEDGER_QUERY_CEL_CEL_TIME_H_
#define RUNLEDGER_QUERY_CEL_CEL_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "src/query/cel/value.h"

namespace runledger::cel {

inline constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// `t` as a timestamp Value, or a range error.
Value CheckedTimestamp(absl::Time t);
// `d` as a duration Value, or a range error.
Value CheckedDuration(absl::Duration d);

// RFC 3339 text ("2009-02-13T23:31:30.5Z", "2009-02-13T15:31:30-08:00") to a timestamp.
Value ParseTimestamp(std::string_view text);
// Go duration syntax ("1h2m3.5s", "-1.5h", "300ms", "1us", "1µs", "1ns", "0") to a duration.
Value ParseDuration(std::string_view text);

// RFC 3339 in UTC with a 'Z' and as many fraction digits as needed (none for whole seconds).
std::string FormatCelTimestamp(absl::Time t);
// Decimal seconds with an 's': "1000000s", "1.5s", "-0.000000001s".
std::string FormatCelDuration(absl::Duration d);

// An IANA zone name ("America/Los_Angeles", "UTC") or a fixed offset ("+05:30", "-08:00").
bool LoadCelTimeZone(std::string_view name, absl::TimeZone* zone);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_CEL_TIME_H_
