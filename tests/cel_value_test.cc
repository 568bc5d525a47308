// Tests of CEL runtime values (value.h), their time text (cel_time.h), their equality and order
// (equality.h) and their typed-JSON encoding (typed_json.h).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "nlohmann/json.hpp"
#include "src/query/cel/cel_time.h"
#include "src/query/cel/equality.h"
#include "src/query/cel/typed_json.h"
#include "src/query/cel/types.h"
#include "src/query/cel/value.h"

namespace runledger::cel {
namespace {

using K = ValueKind;

Value Str(std::string_view s) { return Value::StringView(s); }

TEST(CelValue, ScalarsAreSmallAndInline) {
  EXPECT_EQ(sizeof(Value), 32u);
  EXPECT_TRUE(Value().is(K::kNull));
  EXPECT_EQ(Value::Int(-5).int_value(), -5);
  EXPECT_EQ(Value::Uint(5).uint_value(), 5u);
  EXPECT_EQ(Value::Double(1.5).double_value(), 1.5);
  EXPECT_TRUE(Value::Bool(true).bool_value());
  absl::Time t = absl::FromUnixSeconds(1234567890);
  EXPECT_EQ(Value::Timestamp(t).timestamp_value(), t);
  EXPECT_EQ(Value::Duration(absl::Seconds(3)).duration_value(), absl::Seconds(3));
}

TEST(CelValue, BorrowedAndOwnedText) {
  std::string text = "hello";
  Value borrowed = Value::StringView(text);
  EXPECT_EQ(borrowed.text().data(), text.data());  // no copy
  Value owned = Value::String("hello");
  Value copy = owned;
  EXPECT_EQ(copy.text().data(), owned.text().data());  // shared, not copied
  Value detached = borrowed.Detached();
  EXPECT_NE(detached.text().data(), text.data());
  text[0] = 'j';
  EXPECT_EQ(detached.text(), "hello");
  EXPECT_EQ(borrowed.text(), "jello");
}

TEST(CelValue, JsonStringFlag) {
  Value json = Value::JsonString("2024-01-02T03:04:05Z");
  EXPECT_TRUE(json.is(K::kString));
  EXPECT_TRUE(json.is_json_string());
  EXPECT_FALSE(Str("x").is_json_string());
  EXPECT_TRUE(Value::OwnedJsonString("x").is_json_string());
  EXPECT_TRUE(json.Detached().is_json_string());
}

TEST(CelValue, MovedFromValueIsNull) {
  Value a = Value::String("x");
  Value b = std::move(a);
  EXPECT_TRUE(a.is(K::kNull));  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(b.text(), "x");
}

TEST(CelValue, ListsShareTheirElements) {
  Value list = Value::List({Value::Int(1), Str("a")});
  Value copy = list;
  EXPECT_EQ(&copy.list(), &list.list());
  ASSERT_EQ(list.list().size(), 2u);
  EXPECT_EQ(list.list()[1].text(), "a");
}

TEST(CelValue, OnlyAnUnsharedListIsMutable) {
  Value list = Value::List({Value::Int(1)});
  ASSERT_NE(list.mutable_list_if_unique(), nullptr);
  Value copy = list;
  EXPECT_EQ(list.mutable_list_if_unique(), nullptr);
  copy = Value();
  EXPECT_NE(list.mutable_list_if_unique(), nullptr);
  EXPECT_EQ(Value::Int(1).mutable_list_if_unique(), nullptr);
}

TEST(CelValue, MapKeysCompareAcrossNumericTypes) {
  Value map = Value::Map({{Value::Int(1), Str("int")},
                          {Value::Uint(2), Str("uint")},
                          {Value::Bool(true), Str("bool")},
                          {Str("k"), Str("string")},
                          {Value::Int(-3), Str("negative")}});
  ASSERT_TRUE(map.is(K::kMap));
  const MapValue& m = map.map();
  EXPECT_EQ(m.Find(Value::Uint(1))->text(), "int");
  EXPECT_EQ(m.Find(Value::Double(1.0))->text(), "int");
  EXPECT_EQ(m.Find(Value::Int(2))->text(), "uint");
  EXPECT_EQ(m.Find(Value::Double(-3.0))->text(), "negative");
  EXPECT_EQ(m.Find(Value::Bool(true))->text(), "bool");
  EXPECT_EQ(m.FindString("k")->text(), "string");
  EXPECT_EQ(m.Find(Value::Double(1.5)), nullptr);
  EXPECT_EQ(m.Find(Value::Double(std::nan(""))), nullptr);
  EXPECT_EQ(m.Find(Value::Int(3)), nullptr);
  EXPECT_EQ(m.Find(Value::List({})), nullptr);
}

TEST(CelValue, LargeMapsAreIndexed) {
  std::vector<std::pair<Value, Value>> entries;
  for (int i = 0; i < 100; ++i) entries.emplace_back(Value::Int(i), Value::Int(i * i));
  Value map = Value::Map(std::move(entries));
  ASSERT_TRUE(map.is(K::kMap));
  EXPECT_EQ(map.map().Find(Value::Uint(9))->int_value(), 81);
  EXPECT_EQ(map.map().Find(Value::Double(99))->int_value(), 99 * 99);
  EXPECT_EQ(map.map().Find(Value::Int(100)), nullptr);
}

TEST(CelValue, MapRejectsRepeatedAndUnsupportedKeys) {
  EXPECT_TRUE(Value::Map({{Value::Int(1), Value()}, {Value::Uint(1), Value()}}).is_error());
  std::vector<std::pair<Value, Value>> many;
  for (int i = 0; i < 20; ++i) many.emplace_back(Value::Int(i % 19), Value());
  EXPECT_TRUE(Value::Map(std::move(many)).is_error());
  EXPECT_TRUE(Value::Map({{Value::Double(1.0), Value()}}).is_error());
  EXPECT_TRUE(Value::Map({{Value::List({}), Value()}}).is_error());
}

TEST(CelValue, KindNames) {
  EXPECT_EQ(KindName(K::kNull), "null_type");
  EXPECT_EQ(KindName(K::kTimestamp), "google.protobuf.Timestamp");
  EXPECT_EQ(KindName(K::kDuration), "google.protobuf.Duration");
  EXPECT_EQ(KindName(K::kList), "list");
  EXPECT_EQ(Type::Map(Type::String(), Type::List(Type::Int())).Name(), "map(string, list(int))");
  EXPECT_EQ(Type::Message(RecordSummaryType()).Name(), "tekton.results.v1alpha2.RecordSummary");
}

TEST(CelValue, DebugString) {
  Value v = Value::List(
      {Value::Int(1), Value::Uint(2), Str("a\n"), Value::BytesView("\x01"), Value::Null()});
  EXPECT_EQ(v.DebugString(), R"([1, 2u, "a\n", b"\x01", null])");
}

// --- Equality and order. ---

TEST(CelEquality, NumbersCompareAcrossTypes) {
  EXPECT_TRUE(Equal(Value::Int(1), Value::Double(1.0)).bool_value());
  EXPECT_TRUE(Equal(Value::Uint(1), Value::Int(1)).bool_value());
  EXPECT_FALSE(Equal(Value::Int(-1), Value::Uint(18446744073709551615u)).bool_value());
  EXPECT_EQ(Compare(Value::Int(2), Value::Double(2.5)), Ordering::kLess);
  EXPECT_EQ(Compare(Value::Uint(3), Value::Int(-1)), Ordering::kGreater);
  EXPECT_EQ(Compare(Value::Double(std::nan("")), Value::Int(1)), Ordering::kUnordered);
  EXPECT_FALSE(Equal(Value::Double(std::nan("")), Value::Double(std::nan(""))).bool_value());
}

TEST(CelEquality, DifferentTypesAreUnequalNotErrors) {
  Value e = Equal(Str("1"), Value::Int(1));
  ASSERT_TRUE(e.is(K::kBool));
  EXPECT_FALSE(e.bool_value());
  EXPECT_FALSE(Equal(Value::Null(), Value::Bool(false)).bool_value());
  EXPECT_EQ(Compare(Str("a"), Value::Int(1)), Ordering::kIncomparable);
  EXPECT_EQ(Compare(Value::Null(), Value::Null()), Ordering::kIncomparable);
}

TEST(CelEquality, ListsAndMapsCompareDeeply) {
  Value a = Value::List({Value::Int(1), Value::Map({{Str("k"), Value::Double(2.0)}})});
  Value b = Value::List({Value::Uint(1), Value::Map({{Str("k"), Value::Int(2)}})});
  EXPECT_TRUE(Equal(a, b).bool_value());
  Value c = Value::List({Value::Uint(1), Value::Map({{Str("k"), Value::Int(3)}})});
  EXPECT_FALSE(Equal(a, c).bool_value());
  EXPECT_TRUE(Equal(Value::Map({{Value::Int(1), Str("x")}, {Str("y"), Value::Int(2)}}),
                    Value::Map({{Str("y"), Value::Int(2)}, {Value::Uint(1), Str("x")}}))
                  .bool_value());
}

TEST(CelEquality, StringsOrderByCodePoint) {
  EXPECT_EQ(Compare(Str("a"), Str("\xCE\xB1")), Ordering::kLess);  // a < α
  EXPECT_EQ(Compare(Str("abc"), Str("abd")), Ordering::kLess);
  EXPECT_EQ(Compare(Value::BytesView("\x01"), Value::BytesView("\x00\x01")), Ordering::kGreater);
}

TEST(CelEquality, JsonStringsCompareWithTimestampsAsTimestamps) {
  Value ts = Value::Timestamp(absl::FromUnixSeconds(1234567890));
  EXPECT_TRUE(Equal(Value::JsonString("2009-02-13T23:31:30Z"), ts).bool_value());
  EXPECT_TRUE(Equal(ts, Value::JsonString("2009-02-13T23:31:30Z")).bool_value());
  EXPECT_TRUE(Equal(Value::JsonString("not a time"), ts).is_error());
  EXPECT_FALSE(Equal(Str("2009-02-13T23:31:30Z"), ts).bool_value());  // plain strings never
}

// --- Time text. ---

TEST(CelTime, ParsesGoDurations) {
  struct Case {
    const char* text;
    absl::Duration want;
  } cases[] = {
      {"1h2m3.5s", absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)},
      {"-1.5h", -absl::Minutes(90)},
      {"300ms", absl::Milliseconds(300)},
      {"1us", absl::Microseconds(1)},
      {"1\xC2\xB5s", absl::Microseconds(1)},
      {"1\xCE\xBCs", absl::Microseconds(1)},
      {"1ns", absl::Nanoseconds(1)},
      {"0", absl::ZeroDuration()},
      {"+5s", absl::Seconds(5)},
      {".5s", absl::Milliseconds(500)},
      {"1.000000001s", absl::Seconds(1) + absl::Nanoseconds(1)},
      {"9223372036.854775807s", absl::Nanoseconds(std::numeric_limits<int64_t>::max())},
  };
  for (const Case& c : cases) {
    Value v = ParseDuration(c.text);
    ASSERT_TRUE(v.is(K::kDuration)) << c.text << ": " << v.DebugString();
    EXPECT_EQ(v.duration_value(), c.want) << c.text;
  }
  for (const char* bad : {"", "1", "s", "1x", "--1s", "1s2", "1.s.", "9223372036.854775808s",
                          "320000000000s", "1h-2m"}) {
    EXPECT_TRUE(ParseDuration(bad).is_error()) << bad;
  }
}

TEST(CelTime, ParsesRfc3339InRange) {
  Value v = ParseTimestamp("2009-02-13T15:31:30.25-08:00");
  ASSERT_TRUE(v.is(K::kTimestamp)) << v.DebugString();
  EXPECT_EQ(v.timestamp_value(), absl::FromUnixMillis(int64_t{1234567890250}));
  EXPECT_TRUE(ParseTimestamp("0001-01-01T00:00:00Z").is(K::kTimestamp));
  EXPECT_TRUE(ParseTimestamp("9999-12-31T23:59:59.999999999Z").is(K::kTimestamp));
  for (const char* bad : {"0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2009-02-13",
                          " 2009-02-13T23:31:30Z", "2009-02-13T23:31:30", "yesterday"}) {
    EXPECT_TRUE(ParseTimestamp(bad).is_error()) << bad;
  }
}

TEST(CelTime, Formats) {
  EXPECT_EQ(FormatCelTimestamp(absl::FromUnixSeconds(1234567890)), "2009-02-13T23:31:30Z");
  EXPECT_EQ(FormatCelTimestamp(absl::FromUnixMillis(1500)), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatCelTimestamp(absl::FromUnixSeconds(kMinTimestampSeconds)),
            "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatCelDuration(absl::Seconds(1000000)), "1000000s");
  EXPECT_EQ(FormatCelDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatCelDuration(-absl::Nanoseconds(1)), "-0.000000001s");
  EXPECT_EQ(FormatCelDuration(absl::ZeroDuration()), "0s");
}

TEST(CelTime, RangeChecks) {
  EXPECT_TRUE(CheckedTimestamp(absl::FromUnixSeconds(kMaxTimestampSeconds + 1)).is_error());
  EXPECT_TRUE(CheckedTimestamp(absl::FromUnixSeconds(kMinTimestampSeconds) - absl::Nanoseconds(1))
                  .is_error());
  EXPECT_TRUE(CheckedTimestamp(absl::FromUnixSeconds(0)).is(K::kTimestamp));
  EXPECT_TRUE(CheckedDuration(absl::Hours(24 * 365 * 300)).is_error());
  EXPECT_TRUE(CheckedDuration(absl::Hours(24 * 365 * 200)).is(K::kDuration));
}

TEST(CelTime, TimeZones) {
  absl::TimeZone zone;
  ASSERT_TRUE(LoadCelTimeZone("America/Los_Angeles", &zone));
  ASSERT_TRUE(LoadCelTimeZone("+05:30", &zone));
  EXPECT_EQ(zone.At(absl::UnixEpoch()).offset, 5 * 3600 + 30 * 60);
  ASSERT_TRUE(LoadCelTimeZone("-08:00", &zone));
  EXPECT_EQ(zone.At(absl::UnixEpoch()).offset, -8 * 3600);
  EXPECT_FALSE(LoadCelTimeZone("Mars/Olympus_Mons", &zone));
  EXPECT_FALSE(LoadCelTimeZone("+5:3", &zone));
  EXPECT_FALSE(LoadCelTimeZone("+25:00", &zone));
}

// --- Typed JSON. ---

TEST(CelTypedJson, RoundTrips) {
  const char* text = R"({"list":[
      {"int":"-9223372036854775808"}, {"uint":"18446744073709551615"}, {"double":-0.0},
      {"double":"NaN"}, {"double":"-Infinity"}, {"string":"h\u00e9"}, {"bytes":"AP8="},
      {"bool":true}, {"null":null}, {"type":"google.protobuf.Duration"},
      {"timestamp":"2009-02-13T23:31:30.123Z"}, {"duration":"-1.5s"},
      {"map":[[{"string":"k"},{"list":[]}],[{"int":"1"},{"map":[]}]]}]})";
  auto value = FromTypedJson(nlohmann::json::parse(text));
  ASSERT_TRUE(value.ok()) << value.status();
  nlohmann::json back = ToTypedJson(*value);
  auto again = FromTypedJson(back);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(TypedEqual(*value, *again)) << back.dump();
  EXPECT_EQ(back["list"][10]["timestamp"], "2009-02-13T23:31:30.123Z");
  EXPECT_EQ(back["list"][11]["duration"], "-1.5s");
  EXPECT_EQ(back["list"][6]["bytes"], "AP8=");
}

TEST(CelTypedJson, RejectsWhatItCannotRepresent) {
  for (const char* bad :
       {R"({"int":1})", R"({"int":"x"})", R"({"object":{}})", R"([1])", R"({"int":"1","uint":"1"})",
        R"({"map":[[{"double":1.0},{"null":null}]]})", R"({"timestamp":"never"})",
        R"({"bytes":"***"})"}) {
    EXPECT_FALSE(FromTypedJson(nlohmann::json::parse(bad)).ok()) << bad;
  }
  EXPECT_EQ(ToTypedJson(Value::ErrorView("boom")), nlohmann::json::parse(R"({"error":"boom"})"));
}

TEST(CelTypedJson, TypedEqualIsStrictAboutTypes) {
  EXPECT_FALSE(TypedEqual(Value::Int(1), Value::Uint(1)));
  EXPECT_FALSE(TypedEqual(Value::Int(1), Value::Double(1)));
  EXPECT_TRUE(TypedEqual(Value::Double(std::nan("")), Value::Double(std::nan(""))));
  EXPECT_TRUE(TypedEqual(Value::Map({{Str("a"), Value::Int(1)}, {Str("b"), Value::Int(2)}}),
                         Value::Map({{Str("b"), Value::Int(2)}, {Str("a"), Value::Int(1)}})));
  EXPECT_FALSE(TypedEqual(Value::Map({{Value::Int(1), Value::Int(1)}}),
                          Value::Map({{Value::Uint(1), Value::Int(1)}})));
  EXPECT_FALSE(TypedEqual(Value::List({Value::Int(1)}), Value::List({Value::Double(1)})));
}

}  // namespace
}  // namespace runledger::cel
