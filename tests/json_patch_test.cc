// JsonPatch against nlohmann::json::diff: the same text for hand-picked edge cases (key order,
// duplicate keys, escaped keys, array growth and shrinkage, type changes, numbers equal across
// types) and for random pairs of related documents, and patches that json::patch applies to give
// the target. Also ParsedData's fallback for JSON simdjson refuses.
#include "src/query/json_patch.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "src/query/event_diff.h"

namespace runledger {
namespace {

using nlohmann::json;

// The patch from `before` to `after` (JSON texts) by JsonPatch, after checking that it is
// nlohmann's byte for byte and that applying it to `before` gives `after`.
std::string CheckedPatch(const std::string& before, const std::string& after) {
  simdjson::dom::parser before_parser;
  simdjson::dom::parser after_parser;
  const simdjson::dom::element a = before_parser.parse(before).value();
  const simdjson::dom::element b = after_parser.parse(after).value();
  const std::string patch = JsonPatch(a, b);
  EXPECT_EQ(patch, json::diff(ToNlohmann(a), ToNlohmann(b)).dump()) << before << " -> " << after;
  EXPECT_EQ(ToNlohmann(a).patch(json::parse(patch)), ToNlohmann(b)) << before << " -> " << after;
  return patch;
}

TEST(JsonPatchTest, EqualDocumentsGiveAnEmptyPatch) {
  EXPECT_EQ(CheckedPatch(R"({"a":[1,{"b":null}],"c":"d"})", R"({"c":"d","a":[1,{"b":null}]})"),
            "[]");
  EXPECT_EQ(CheckedPatch("null", "null"), "[]");
}

TEST(JsonPatchTest, ACreationReplacesTheRoot) {
  EXPECT_EQ(CheckedPatch("null", R"({"z":1,"a":[true,1.5]})"),
            R"([{"op":"replace","path":"","value":{"a":[true,1.5],"z":1}}])");
  EXPECT_EQ(CheckedPatch(R"({"a":1})", "null"), R"([{"op":"replace","path":"","value":null}])");
}

TEST(JsonPatchTest, MembersAreChangedAndRemovedInKeyOrderThenAdded) {
  EXPECT_EQ(
      CheckedPatch(R"({"m":{"x":1,"y":2},"b":1,"z":0})", R"({"a":0,"m":{"y":3,"w":4},"z":0})"),
      R"([{"op":"remove","path":"/b"},{"op":"remove","path":"/m/x"},)"
      R"({"op":"replace","path":"/m/y","value":3},{"op":"add","path":"/m/w","value":4},)"
      R"({"op":"add","path":"/a","value":0}])");
}

TEST(JsonPatchTest, KeysAreEscapedInPaths) {
  EXPECT_EQ(CheckedPatch(R"({"a/b":1,"c~d":1,"q\"x\n":1})", R"({"a/b":2,"c~d":2,"q\"x\n":2})"),
            R"([{"op":"replace","path":"/a~1b","value":2},{"op":"replace","path":"/c~0d",)"
            R"("value":2},{"op":"replace","path":"/q\"x\n","value":2}])");
  CheckedPatch(R"({"é":"ü","\u0001":1})", R"({"é":"ö","\u0001":[2]})");
}

TEST(JsonPatchTest, ArraysShrinkFromTheEndAndGrowByAppending) {
  EXPECT_EQ(CheckedPatch("[1,2,3,4]", "[1,5]"),
            R"([{"op":"replace","path":"/1","value":5},{"op":"remove","path":"/3"},)"
            R"({"op":"remove","path":"/2"}])");
  EXPECT_EQ(CheckedPatch(R"([{"a":1}])", R"([{"a":2},[3],"x"])"),
            R"([{"op":"replace","path":"/0/a","value":2},{"op":"add","path":"/-","value":[3]},)"
            R"({"op":"add","path":"/-","value":"x"}])");
}

TEST(JsonPatchTest, ADifferentTypeReplacesTheValue) {
  CheckedPatch(R"({"a":{"b":1},"c":[1],"d":"1","e":true,"f":null})",
               R"({"a":[1],"c":{"b":1},"d":1,"e":"true","f":false})");
}

TEST(JsonPatchTest, NumbersCompareAsNlohmannComparesThem) {
  EXPECT_EQ(CheckedPatch("[1,2.0,-3,18446744073709551615]", "[1.0,2,-3.0,-1]"), "[]");
  EXPECT_EQ(CheckedPatch("[1,2.5,18446744073709551615]", "[2,2.25,18446744073709551614]"),
            R"([{"op":"replace","path":"/0","value":2},{"op":"replace","path":"/1","value":2.25},)"
            R"({"op":"replace","path":"/2","value":18446744073709551614}])");
  CheckedPatch("[1e300,0.1,-0.0]", "[1e-300,0.10000000000000002,0]");
}

TEST(JsonPatchTest, OfDuplicateKeysTheLastCounts) {
  EXPECT_EQ(CheckedPatch(R"({"a":1,"b":0,"a":2})", R"({"b":0,"a":2})"), "[]");
  EXPECT_EQ(CheckedPatch(R"({"a":2})", R"({"a":2,"a":3})"),
            R"([{"op":"replace","path":"/a","value":3}])");
}

// A random JSON value of at most `depth` levels of containers.
json RandomValue(std::mt19937& random, int depth) {
  const int kind = std::uniform_int_distribution<int>(0, depth > 0 ? 7 : 5)(random);
  switch (kind) {
    case 0:
      return nullptr;
    case 1:
      return random() % 2 == 0;
    case 2:
      return static_cast<int64_t>(random() % 7) - 3;
    case 3:
      return (random() % 5) / 2.0;
    case 4:
    case 5:
      return std::string(1 + random() % 2, "ab/~"[random() % 4]);
    case 6: {
      json array = json::array();
      for (size_t i = random() % 4; i > 0; --i) array.push_back(RandomValue(random, depth - 1));
      return array;
    }
    default: {
      json object = json::object();
      for (size_t i = random() % 5; i > 0; --i) {
        object[std::string(1, "abcde/~"[random() % 7])] = RandomValue(random, depth - 1);
      }
      return object;
    }
  }
}

// `value` with a few random changes at random depths.
json Mutate(json value, std::mt19937& random, int depth) {
  if (depth == 0 || random() % 4 == 0 || !(value.is_object() || value.is_array()) ||
      value.empty()) {
    return random() % 3 == 0 ? value : RandomValue(random, 2);
  }
  if (value.is_array()) {
    for (json& item : value) {
      if (random() % 2 == 0) item = Mutate(item, random, depth - 1);
    }
    if (random() % 3 == 0) value.push_back(RandomValue(random, 1));
    if (random() % 3 == 0) value.erase(value.size() - 1);
    return value;
  }
  for (auto& [key, item] : value.items()) {
    if (random() % 2 == 0) item = Mutate(item, random, depth - 1);
  }
  if (random() % 3 == 0) value[std::string(1, "abcdef"[random() % 6])] = RandomValue(random, 1);
  if (random() % 3 == 0) value.erase(value.begin());
  return value;
}

TEST(JsonPatchTest, RandomDocumentsGiveNlohmannsPatch) {
  std::mt19937 random(20261125);
  for (int i = 0; i < 3000; ++i) {
    const json before = RandomValue(random, 4);
    const json after = Mutate(before, random, 4);
    CheckedPatch(before.dump(), after.dump());
  }
}

tekton::results::v1alpha2::Record WithData(const std::string& value) {
  tekton::results::v1alpha2::Record record;
  record.set_name("p/results/r/records/x");
  record.mutable_data()->set_value(value);
  return record;
}

TEST(ParsedDataTest, JsonSimdjsonRefusesIsDiffedByNlohmann) {
  const std::string big = R"({"n":123456789012345678901234567890,"s":"a"})";
  const std::string small = R"({"n":1,"s":"b"})";
  const tekton::results::v1alpha2::Record big_record = WithData(big);
  const tekton::results::v1alpha2::Record small_record = WithData(small);
  ParsedData before;
  ParsedData after;
  ASSERT_TRUE(before.Parse(nullptr).ok());
  ASSERT_TRUE(after.Parse(&big_record).ok());
  EXPECT_EQ(DataPatch(before, after), json::diff(nullptr, json::parse(big)).dump());
  ASSERT_TRUE(before.Parse(&small_record).ok());
  EXPECT_EQ(DataPatch(after, before), json::diff(json::parse(big), json::parse(small)).dump());
  EXPECT_EQ(DataPatch(before, before), "[]");
}

TEST(ParsedDataTest, EmptyDataIsNullAndNonJsonIsDataLoss) {
  const tekton::results::v1alpha2::Record no_data = WithData("");
  const tekton::results::v1alpha2::Record some_data = WithData(R"({"a":1})");
  const tekton::results::v1alpha2::Record not_json = WithData("{nope");
  ParsedData empty;
  ParsedData object;
  ASSERT_TRUE(empty.Parse(&no_data).ok());
  ASSERT_TRUE(object.Parse(&some_data).ok());
  EXPECT_EQ(DataPatch(empty, object), R"([{"op":"replace","path":"","value":{"a":1}}])");
  ParsedData bad;
  const absl::Status status = bad.Parse(&not_json);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "the data of p/results/r/records/x is not JSON");
}

}  // namespace
}  // namespace runledger
