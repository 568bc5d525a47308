// Timestamps and durations: conversions, arithmetic with range checks, and the accessors
// (getFullYear() ... getMilliseconds(), in UTC or in a time zone given by IANA name or fixed
// offset). Comparisons are in equality.cc.
#include "absl/strings/str_cat.h"
#include "src/query/cel/cel_time.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel::internal {
namespace {

Value TimestampFromString(absl::Span<const Value> a) { return ParseTimestamp(a[0].text()); }
Value TimestampFromInt(absl::Span<const Value> a) {
  int64_t s = a[0].int_value();
  if (s < kMinTimestampSeconds || s > kMaxTimestampSeconds) {
    return Value::ErrorView("timestamp out of range");
  }
  return Value::Timestamp(absl::FromUnixSeconds(s));
}
Value DurationFromString(absl::Span<const Value> a) { return ParseDuration(a[0].text()); }
Value Identity(absl::Span<const Value> a) { return a[0]; }

Value IntFromTimestamp(absl::Span<const Value> a) {
  return Value::Int(absl::ToUnixSeconds(a[0].timestamp_value()));
}
Value StringFromTimestamp(absl::Span<const Value> a) {
  return Value::String(FormatCelTimestamp(a[0].timestamp_value()));
}
Value StringFromDuration(absl::Span<const Value> a) {
  return Value::String(FormatCelDuration(a[0].duration_value()));
}

Value AddTsDur(absl::Span<const Value> a) {
  return CheckedTimestamp(a[0].timestamp_value() + a[1].duration_value());
}
Value AddDurTs(absl::Span<const Value> a) {
  return CheckedTimestamp(a[1].timestamp_value() + a[0].duration_value());
}
Value AddDurDur(absl::Span<const Value> a) {
  return CheckedDuration(a[0].duration_value() + a[1].duration_value());
}
Value SubTsTs(absl::Span<const Value> a) {
  return CheckedDuration(a[0].timestamp_value() - a[1].timestamp_value());
}
Value SubTsDur(absl::Span<const Value> a) {
  return CheckedTimestamp(a[0].timestamp_value() - a[1].duration_value());
}
Value SubDurDur(absl::Span<const Value> a) {
  return CheckedDuration(a[0].duration_value() - a[1].duration_value());
}
Value NegDur(absl::Span<const Value> a) { return CheckedDuration(-a[0].duration_value()); }

enum class Field {
  kYear,
  kMonth,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kHours,
  kMinutes,
  kSeconds,
  kMilliseconds
};

int64_t CivilField(const absl::TimeZone::CivilInfo& info, Field field) {
  const absl::CivilSecond& cs = info.cs;
  switch (field) {
    case Field::kYear:
      return cs.year();
    case Field::kMonth:
      return cs.month() - 1;
    case Field::kDate:
      return cs.day();
    case Field::kDayOfMonth:
      return cs.day() - 1;
    case Field::kDayOfWeek:  // absl counts from Monday, CEL from Sunday
      return (static_cast<int>(absl::GetWeekday(cs)) + 1) % 7;
    case Field::kDayOfYear:
      return absl::GetYearDay(cs) - 1;
    case Field::kHours:
      return cs.hour();
    case Field::kMinutes:
      return cs.minute();
    case Field::kSeconds:
      return cs.second();
    case Field::kMilliseconds:
      return absl::ToInt64Milliseconds(info.subsecond);
  }
  return 0;
}

// ts.getX() in UTC, or ts.getX(zone).
template <Field kField>
Value TimestampAccessor(absl::Span<const Value> a) {
  absl::TimeZone zone = absl::UTCTimeZone();
  if (a.size() == 2 && !LoadCelTimeZone(a[1].text(), &zone)) {
    return Value::Error(absl::StrCat("unknown time zone: '", ToAbsl(a[1].text()), "'"));
  }
  return Value::Int(CivilField(zone.At(a[0].timestamp_value()), kField));
}

// Durations: whole hours, minutes, seconds or milliseconds, truncated toward zero.
template <int64_t kUnitMillis>
Value DurationAccessor(absl::Span<const Value> a) {
  absl::Duration remainder;
  return Value::Int(
      absl::IDivDuration(a[0].duration_value(), absl::Milliseconds(kUnitMillis), &remainder));
}

constexpr CallStyle G = CallStyle::kGlobal;
constexpr CallStyle R = CallStyle::kReceiver;

const Overload kOverloads[] = {
    {"timestamp", G, 1, {kString}, kTs, TimestampFromString},
    {"timestamp", G, 1, {kInt}, kTs, TimestampFromInt},
    {"timestamp", G, 1, {kTs}, kTs, Identity},
    {"duration", G, 1, {kString}, kDur, DurationFromString},
    {"duration", G, 1, {kDur}, kDur, Identity},
    {"int", G, 1, {kTs}, kInt, IntFromTimestamp},
    {"string", G, 1, {kTs}, kString, StringFromTimestamp},
    {"string", G, 1, {kDur}, kString, StringFromDuration},
    {"_+_", G, 2, {kTs, kDur}, kTs, AddTsDur},
    {"_+_", G, 2, {kDur, kTs}, kTs, AddDurTs},
    {"_+_", G, 2, {kDur, kDur}, kDur, AddDurDur},
    {"_-_", G, 2, {kTs, kTs}, kDur, SubTsTs},
    {"_-_", G, 2, {kTs, kDur}, kTs, SubTsDur},
    {"_-_", G, 2, {kDur, kDur}, kDur, SubDurDur},
    {"-_", G, 1, {kDur}, kDur, NegDur},
    {"getFullYear", R, 1, {kTs}, kInt, TimestampAccessor<Field::kYear>},
    {"getFullYear", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kYear>},
    {"getMonth", R, 1, {kTs}, kInt, TimestampAccessor<Field::kMonth>},
    {"getMonth", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kMonth>},
    {"getDate", R, 1, {kTs}, kInt, TimestampAccessor<Field::kDate>},
    {"getDate", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kDate>},
    {"getDayOfMonth", R, 1, {kTs}, kInt, TimestampAccessor<Field::kDayOfMonth>},
    {"getDayOfMonth", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kDayOfMonth>},
    {"getDayOfWeek", R, 1, {kTs}, kInt, TimestampAccessor<Field::kDayOfWeek>},
    {"getDayOfWeek", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kDayOfWeek>},
    {"getDayOfYear", R, 1, {kTs}, kInt, TimestampAccessor<Field::kDayOfYear>},
    {"getDayOfYear", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kDayOfYear>},
    {"getHours", R, 1, {kTs}, kInt, TimestampAccessor<Field::kHours>},
    {"getHours", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kHours>},
    {"getMinutes", R, 1, {kTs}, kInt, TimestampAccessor<Field::kMinutes>},
    {"getMinutes", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kMinutes>},
    {"getSeconds", R, 1, {kTs}, kInt, TimestampAccessor<Field::kSeconds>},
    {"getSeconds", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kSeconds>},
    {"getMilliseconds", R, 1, {kTs}, kInt, TimestampAccessor<Field::kMilliseconds>},
    {"getMilliseconds", R, 2, {kTs, kString}, kInt, TimestampAccessor<Field::kMilliseconds>},
    {"getHours", R, 1, {kDur}, kInt, DurationAccessor<3600000>},
    {"getMinutes", R, 1, {kDur}, kInt, DurationAccessor<60000>},
    {"getSeconds", R, 1, {kDur}, kInt, DurationAccessor<1000>},
    {"getMilliseconds", R, 1, {kDur}, kInt, DurationAccessor<1>},
};

}  // namespace

absl::Span<const Overload> TimeOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
