// FactsOf (src/projections/run_facts.h) on the shapes a record's JSON can take: the summaries'
// values read as JSON Pointer lookups read them (first of duplicate keys, "0" of an array or an
// object, strings only), from a parse of its own or from one a filter already walked.
#include "src/projections/run_facts.h"

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/query/filter.h"
#include "src/query/json_value.h"

namespace runledger {
namespace {

RunFacts Facts(const std::string& json) {
  return FactsOf(RecordView{"ns/results/r/records/x", "tekton.dev/v1.TaskRun", json});
}

TEST(RunFactsTest, ReadsEveryFact) {
  const RunFacts facts = Facts(R"({"kind":"TaskRun","metadata":{"name":"a","namespace":"team-a",
      "labels":{"app":"x","tekton.dev/pipeline":"build"},
      "annotations":{"pipelinesascode.tekton.dev/repository":"repo"},
      "creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"timeout":"1h0m0s"},
      "status":{"conditions":[{"type":"Succeeded","reason":"Failed"}],
      "startTime":"2026-01-01T00:00:01.5Z","completionTime":"2026-01-01T00:01:00+01:00"}})");
  EXPECT_EQ(facts.parent, "ns");
  EXPECT_EQ(facts.type, "tekton.dev/v1.TaskRun");
  EXPECT_EQ(facts.namespace_name, "team-a");
  EXPECT_EQ(facts.pipeline, "build");
  EXPECT_EQ(facts.repository, "repo");
  EXPECT_EQ(facts.created_micros, ParseMicros("2026-01-01T00:00:00Z"));
  EXPECT_EQ(facts.started_micros, ParseMicros("2026-01-01T00:00:01.5Z"));
  EXPECT_EQ(facts.completed_micros, ParseMicros("2025-12-31T23:01:00Z"));
  EXPECT_EQ(facts.bucket, StatusBucket::kFailed);
}

TEST(RunFactsTest, TheFirstOfDuplicateKeysCounts) {
  const RunFacts facts = Facts(R"({"metadata":{"namespace":"a","namespace":"b"},
      "metadata":{"namespace":"c","labels":{"tekton.dev/pipeline":"p"}},
      "status":{"startTime":"2026-01-01T00:00:00Z"},"status":{"completionTime":"x"}})");
  EXPECT_EQ(facts.namespace_name, "a");
  EXPECT_EQ(facts.pipeline, std::nullopt);
  EXPECT_TRUE(facts.started_micros.has_value());
  EXPECT_EQ(facts.completed_micros, std::nullopt);
}

TEST(RunFactsTest, OnlyStringsAndParsableTimesCount) {
  const RunFacts facts = Facts(R"({"metadata":{"namespace":5,"labels":{"tekton.dev/pipeline":null},
      "annotations":[1],"creationTimestamp":"yesterday"},
      "status":{"startTime":{"t":"2026-01-01T00:00:00Z"},"completionTime":"2026-01-01T00:00:00Z"}})");
  EXPECT_EQ(facts.namespace_name, std::nullopt);
  EXPECT_EQ(facts.pipeline, std::nullopt);
  EXPECT_EQ(facts.repository, std::nullopt);
  EXPECT_EQ(facts.created_micros, std::nullopt);
  EXPECT_EQ(facts.started_micros, std::nullopt);
  EXPECT_TRUE(facts.completed_micros.has_value());
  EXPECT_EQ(Facts(R"({"metadata":{"namespace":"a\"b\u00e9"}})").namespace_name, "a\"b\xc3\xa9");
}

TEST(RunFactsTest, TheFirstConditionsReasonPicksTheBucket) {
  auto bucket = [](const std::string& conditions) {
    return Facts(R"({"status":{"conditions":)" + conditions + "}}").bucket;
  };
  EXPECT_EQ(bucket(R"([{"reason":"Succeeded"},{"reason":"Failed"}])"), StatusBucket::kSucceeded);
  EXPECT_EQ(bucket(R"([{"reason":"Completed"}])"), StatusBucket::kSucceeded);
  EXPECT_EQ(bucket(R"([{"reason":"Running"}])"), StatusBucket::kRunning);
  EXPECT_EQ(bucket(R"([{"reason":"Cancelled"}])"), StatusBucket::kCancelled);
  EXPECT_EQ(bucket(R"([{"reason":"PipelineRunTimeout"}])"), StatusBucket::kOthers);
  EXPECT_EQ(bucket(R"([{"reason":5}])"), StatusBucket::kOthers);
  EXPECT_EQ(bucket(R"([{"reason":true}])"), StatusBucket::kOthers);
  EXPECT_EQ(bucket(R"([{"reason":null}])"), StatusBucket::kNone);
  EXPECT_EQ(bucket(R"([{"type":"Succeeded"}])"), StatusBucket::kNone);
  EXPECT_EQ(bucket(R"([])"), StatusBucket::kNone);
  EXPECT_EQ(bucket(R"(["Failed"])"), StatusBucket::kNone);
  EXPECT_EQ(bucket(R"({"0":{"reason":"Failed"}})"), StatusBucket::kFailed);
  EXPECT_EQ(bucket(R"({"1":{"reason":"Failed"}})"), StatusBucket::kNone);
  EXPECT_EQ(bucket(R"("Failed")"), StatusBucket::kNone);
}

TEST(RunFactsTest, NoJsonObjectNoFacts) {
  for (const std::string json : {"", "[]", "3", "not json", R"({"metadata":)"}) {
    const RunFacts facts = Facts(json);
    EXPECT_EQ(facts.parent, "ns") << json;
    EXPECT_EQ(facts.namespace_name, std::nullopt) << json;
    EXPECT_EQ(facts.bucket, StatusBucket::kNone) << json;
  }
}

TEST(RunFactsTest, AParseAFilterWalkedGivesTheSameFacts) {
  const std::string json = R"({"metadata":{"namespace":"n","labels":{"tekton.dev/pipeline":"p"},
      "creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"timeout":"1h0m0s"},
      "status":{"conditions":[{"reason":"Succeeded"}],"startTime":"2026-01-01T00:00:00Z",
      "completionTime":"2026-01-01T00:00:09.25Z"}})";
  absl::StatusOr<std::unique_ptr<const Filter>> filter = Filter::Compile(
      "data.status.completionTime != '' && data.spec.timeout == '1h0m0s'", FilterTarget::kRecords);
  ASSERT_TRUE(filter.ok()) << filter.status();
  RecordView record{"ns/results/r/records/x", "tekton.dev/v1.TaskRun", json};
  JsonDocument document;
  document.Bind(json);
  ASSERT_TRUE((*filter)->Matches(record, document));
  record.parsed_data = document.parsed();
  ASSERT_NE(record.parsed_data, nullptr);
  const RunFacts walked = FactsOf(record);
  const RunFacts fresh = Facts(json);
  EXPECT_EQ(walked.namespace_name, fresh.namespace_name);
  EXPECT_EQ(walked.pipeline, fresh.pipeline);
  EXPECT_EQ(walked.created_micros, fresh.created_micros);
  EXPECT_EQ(walked.duration_micros(), int64_t{9250000});
  EXPECT_EQ(walked.duration_micros(), fresh.duration_micros());
  EXPECT_EQ(walked.bucket, StatusBucket::kSucceeded);
}

// ParseMicros as absl::ParseTime(RFC3339_full) reads a time, rounded half to even.
std::optional<int64_t> ReferenceMicros(const std::string& text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return std::nullopt;
  const absl::Duration d = t - absl::UnixEpoch();
  const int64_t floor = absl::ToInt64Microseconds(absl::Floor(d, absl::Microseconds(1)));
  const int64_t rest = absl::ToInt64Nanoseconds(d - absl::Microseconds(floor));
  return (rest > 500 || (rest == 500 && floor % 2 != 0)) ? floor + 1 : floor;
}

TEST(RunFactsTest, ParseMicrosReadsTimesAsAbslParseTimeDoes) {
  std::vector<std::string> texts = {"2026-01-01T00:00:00Z",
                                    "2024-02-29T23:59:59.999999500Z",
                                    "2023-02-29T00:00:00Z",
                                    "2026-04-31T00:00:00Z",
                                    "2026-01-01T24:00:00Z",
                                    "2026-01-01T00:60:00Z",
                                    "2026-01-01T00:00:60Z",
                                    "2026-01-01t00:00:00z",
                                    "2026-01-01T00:00:00.Z",
                                    "2026-01-01T00:00:00.1234567891Z",
                                    "2026-01-01T00:00:00.0000005Z",
                                    "2026-01-01T00:00:00.0000015Z",
                                    "2026-01-01T00:00:00+05:30",
                                    "2026-01-01T00:00:00-23:59",
                                    "2026-01-01T00:00:00+24:00",
                                    "2026-01-01T00:00:00+0530",
                                    "2026-01-01T00:00:00",
                                    " 2026-01-01T00:00:00Z",
                                    "2026-01-01T00:00:00Z ",
                                    "20260-01-01T00:00:00Z",
                                    "2026-1-01T00:00:00Z",
                                    "2026-01-01T00:00:00ZZ",
                                    "",
                                    "yesterday",
                                    "0000-01-01T00:00:00Z",
                                    "9999-12-31T23:59:59.999999999+00:00",
                                    "2026-13-01T00:00:00Z",
                                    "2026-00-10T00:00:00Z"};
  std::mt19937 random(11);
  for (int i = 0; i < 2000; ++i) {
    const int fraction_digits = static_cast<int>(random() % 11);
    std::string fraction;
    for (int d = 0; d < fraction_digits; ++d) fraction += static_cast<char>('0' + random() % 10);
    const int zone = static_cast<int>(random() % 3);
    texts.push_back(absl::StrCat(
        1900 + random() % 250, "-", absl::Dec(1 + random() % 12, absl::kZeroPad2), "-",
        absl::Dec(1 + random() % 31, absl::kZeroPad2), "T",
        absl::Dec(random() % 24, absl::kZeroPad2), ":", absl::Dec(random() % 60, absl::kZeroPad2),
        ":", absl::Dec(random() % 61, absl::kZeroPad2), fraction_digits > 0 ? "." : "", fraction,
        zone == 0 ? "Z" : (zone == 1 ? "+" : "-"),
        zone == 0 ? ""
                  : absl::StrCat(absl::Dec(random() % 24, absl::kZeroPad2), ":",
                                 absl::Dec(random() % 60, absl::kZeroPad2))));
  }
  for (const std::string& text : texts) {
    EXPECT_EQ(ParseMicros(text), ReferenceMicros(text)) << text;
  }
}

}  // namespace
}  // namespace runledger
