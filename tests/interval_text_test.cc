#include "src/query/interval_text.h"

#include "gtest/gtest.h"

namespace runledger {
namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kHour = 3600 * kSecond;

TEST(IntervalTextTest, RendersEveryExampleOfTheSpec) {
  EXPECT_EQ(FormatInterval(Interval::Justified(198 * kSecond)), "00:03:18");
  EXPECT_EQ(FormatInterval(Interval::Justified(76 * kSecond + 218750)), "00:01:16.21875");
  EXPECT_EQ(FormatInterval(Interval::Justified(40 * kSecond + 500000)), "00:00:40.5");
  EXPECT_EQ(FormatInterval(Interval::Justified(26 * kHour + 3 * 60 * kSecond + 4 * kSecond)),
            "1 day 02:03:04");
  EXPECT_EQ(FormatInterval(Interval::Justified(48 * kHour)), "2 days");
  EXPECT_EQ(FormatInterval({0, 26 * kHour}), "26:00:00");  // a sum is not re-justified
  EXPECT_EQ(FormatInterval(Interval::Justified(7317 * kSecond)), "02:01:57");
}

TEST(IntervalTextTest, RendersZeroNegativesAndMixedSigns) {
  EXPECT_EQ(FormatInterval({0, 0}), "00:00:00");
  EXPECT_EQ(FormatInterval(Interval::Justified(-kSecond)), "-00:00:01");
  EXPECT_EQ(FormatInterval(Interval::Justified(-24 * kHour)), "-1 days");
  EXPECT_EQ(FormatInterval(Interval::Justified(-25 * kHour)), "-1 days -01:00:00");
  EXPECT_EQ(FormatInterval({-1, 2 * kHour}), "-1 days +02:00:00");
  EXPECT_EQ(FormatInterval({1, -2 * kHour}), "1 day -02:00:00");
  EXPECT_EQ(FormatInterval({0, 123 * kHour + 1}), "123:00:00.000001");
}

TEST(IntervalTextTest, JustifiesWholeDaysWithTheSignOfTheWhole) {
  const Interval i = Interval::Justified(-(50 * kHour));
  EXPECT_EQ(i.days, -2);
  EXPECT_EQ(i.micros, -2 * kHour);
}

TEST(IntervalTextTest, AveragesDaysAndTimeApart) {
  // 7317 s over 96 runs: the documented 00:01:16.21875.
  EXPECT_EQ(FormatInterval(AverageInterval({0, 7317 * kSecond}, 96)), "00:01:16.21875");
  // Two days over three: no whole day, two thirds of a day moved into time.
  EXPECT_EQ(FormatInterval(AverageInterval({2, 0}, 3)), "16:00:00");
  // Days and time are divided apart, then added.
  EXPECT_EQ(FormatInterval(AverageInterval({3, 3 * kHour}, 2)), "1 day 13:30:00");
  // A third of a second rounds to whole microseconds.
  EXPECT_EQ(FormatInterval(AverageInterval({0, kSecond}, 3)), "00:00:00.333333");
}

TEST(IntervalTextTest, OrdersByLengthWithADayAsTwentyFourHours) {
  EXPECT_EQ(IntervalLength({1, kHour}), 25 * kHour);
  EXPECT_LT(IntervalLength({0, 23 * kHour}), IntervalLength({1, 0}));
}

}  // namespace
}  // namespace runledger
