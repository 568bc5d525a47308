// Unit tests of the clock, Timestamp conversion and ordered time encoding (src/common/time_util.h).
#include "src/common/time_util.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace runledger {
namespace {

int64_t SystemNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Ordered(int64_t nanos) {
  std::string out;
  AppendOrderedNanos(nanos, &out);
  return out;
}

TEST(NowNanosTest, ReadsTheSystemClock) {
  const int64_t before = SystemNanos();
  const int64_t now = NowNanos();
  const int64_t after = SystemNanos();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(NanosToTimestampTest, SplitsSecondsAndNanos) {
  google::protobuf::Timestamp ts = NanosToTimestamp(1'500'000'000'123);
  EXPECT_EQ(ts.seconds(), 1500);
  EXPECT_EQ(ts.nanos(), 123);
}

TEST(NanosToTimestampTest, NormalizesNegativeTimesToNonNegativeNanos) {
  google::protobuf::Timestamp ts = NanosToTimestamp(-1);
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999'999'999);
  ts = NanosToTimestamp(-2'000'000'000);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 0);
}

TEST(TimestampToNanosTest, InvertsNanosToTimestamp) {
  for (int64_t nanos :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{999'999'999}, int64_t{-1'000'000'001},
        int64_t{1'795'542'810'753'477'806}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(TimestampToNanos(NanosToTimestamp(nanos)), nanos) << nanos;
  }
}

TEST(OrderedNanosTest, IsEightBytesAndAppends) {
  std::string out = "prefix";
  AppendOrderedNanos(42, &out);
  ASSERT_EQ(out.size(), 6u + 8u);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(DecodeOrderedNanos(absl::string_view(out).substr(6)), 42);
}

TEST(OrderedNanosTest, ByteOrderEqualsNumericOrder) {
  const std::vector<int64_t> sorted = {std::numeric_limits<int64_t>::min(),
                                       -1'000'000'000'000'000'000,
                                       -256,
                                       -1,
                                       0,
                                       1,
                                       255,
                                       256,
                                       1'795'542'810'753'477'806,
                                       std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(Ordered(sorted[i]), Ordered(sorted[i + 1])) << sorted[i] << " vs " << sorted[i + 1];
  }
}

TEST(OrderedNanosTest, DecodeInvertsEncode) {
  for (int64_t nanos : {std::numeric_limits<int64_t>::min(), int64_t{-1}, int64_t{0},
                        int64_t{123456789}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(DecodeOrderedNanos(Ordered(nanos)), nanos) << nanos;
  }
}

}  // namespace
}  // namespace runledger
