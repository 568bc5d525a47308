#include "src/common/time_util.h"

#include <chrono>

#include "absl/base/internal/endian.h"

namespace runledger {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

google::protobuf::Timestamp NanosToTimestamp(int64_t nanos) {
  google::protobuf::Timestamp ts;
  int64_t seconds = nanos / 1000000000;
  int64_t rest = nanos % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest));
  return ts;
}

int64_t TimestampToNanos(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000000 + ts.nanos();
}

void AppendOrderedNanos(int64_t nanos, std::string* out) {
  char buf[8];
  absl::big_endian::Store64(buf, static_cast<uint64_t>(nanos) ^ (uint64_t{1} << 63));
  out->append(buf, sizeof(buf));
}

int64_t DecodeOrderedNanos(absl::string_view bytes) {
  return static_cast<int64_t>(absl::big_endian::Load64(bytes.data()) ^ (uint64_t{1} << 63));
}

}  // namespace runledger
