// Time helpers shared by every stage: the clock, protobuf Timestamp conversion, and the
// order-preserving 8-byte encoding of a time used inside index keys.
#ifndef RUNLEDGER_COMMON_TIME_UTIL_H_
#define RUNLEDGER_COMMON_TIME_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"

namespace runledger {

// Nanoseconds since the Unix epoch, from the system clock.
int64_t NowNanos();

google::protobuf::Timestamp NanosToTimestamp(int64_t nanos);
int64_t TimestampToNanos(const google::protobuf::Timestamp& ts);

// Appends `nanos` as 8 big-endian bytes with the sign bit flipped, so that byte order equals
// numeric order for negative and positive times alike.
void AppendOrderedNanos(int64_t nanos, std::string* out);
// Inverse of AppendOrderedNanos on exactly 8 bytes.
int64_t DecodeOrderedNanos(absl::string_view bytes);

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_TIME_UTIL_H_
