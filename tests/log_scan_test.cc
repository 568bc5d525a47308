// A pass over the log (src/query/log_scan.h) against the records it must find: the current state
// of every record the filter matches, once, with or without the successor table; and the parse
// the filter made handed to the visitor, whose facts equal those of a fresh parse.
#include "src/query/log_scan.h"

#include <map>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/projections/run_facts.h"
#include "tests/lister_fixture.h"

namespace runledger {
namespace {

// A PipelineRun's JSON with the values the filter and the facts read.
std::string RunJson(int i, const std::string& timeout) {
  return absl::StrCat(R"({"metadata":{"name":"run-)", i, R"(","namespace":"ns-)", i % 3,
                      R"(","labels":{"tekton.dev/pipeline":"p)", i % 4,
                      R"("},"creationTimestamp":"2026-01-0)", 1 + i % 9,
                      R"(T10:00:00Z"},"spec":{"timeout":")", timeout,
                      R"("},"status":{"startTime":"2026-01-01T10:00:0)", i % 10,
                      R"(Z","completionTime":"2026-01-01T10:05:00.5Z",)",
                      R"("conditions":[{"type":"Succeeded","reason":")",
                      i % 2 == 0 ? "Succeeded" : "Failed", R"("}]}})");
}

class LogScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.CreateResult("ns/results/r");
    for (int i = 0; i < 40; ++i) {
      const std::string name = absl::StrCat("ns/results/r/records/", i);
      const std::string timeout = i % 3 == 0 ? "1h0m0s" : "2h0m0s";
      fixture_.CreateRecord(name, "tekton.dev/v1.PipelineRun", RunJson(i, timeout));
      expected_[name] = timeout == "1h0m0s";
    }
    // Updates move records in and out of the filter; only their latest state may count.
    for (int i = 0; i < 40; i += 4) {
      const std::string name = absl::StrCat("ns/results/r/records/", i);
      const std::string timeout = i % 8 == 0 ? "1h0m0s" : "3h0m0s";
      fixture_.TouchRecord(name, "tekton.dev/v1.PipelineRun", RunJson(i + 100, timeout));
      expected_[name] = timeout == "1h0m0s";
    }
  }

  // The records a pass finds, with the facts the visitor read from the pass's parse.
  std::map<std::string, RunFacts> Scan(const Filter* filter, SuccessorTable* successors) {
    LogScanRequest request{filter,
                           [](absl::string_view) { return true; },
                           fixture_.store().log().LastSequence(),
                           2,
                           nullptr,
                           successors};
    std::mutex mu;
    std::map<std::string, RunFacts> found;
    const absl::Status status = ScanLogForRecords(
        fixture_.store().database(), request, rocksdb::ReadOptions(),
        [&](int, const RecordView& record, absl::string_view) {
          EXPECT_EQ(record.parsed_data != nullptr, filter != nullptr);
          RunFacts facts = FactsOf(record);
          std::lock_guard<std::mutex> lock(mu);
          EXPECT_TRUE(found.emplace(std::string(record.name), std::move(facts)).second)
              << record.name << " visited twice";
          return true;
        });
    EXPECT_TRUE(status.ok()) << status;
    return found;
  }

  // The facts of `name`'s current state, from a parse of its own.
  RunFacts FreshFacts(const std::string& name) {
    absl::StatusOr<std::vector<rpc::Record>> records =
        fixture_.store().reader().GetRecords({name}, rocksdb::ReadOptions());
    EXPECT_TRUE(records.ok() && records->size() == 1) << name;
    return FactsOf(RecordView::Of(records->front()));
  }

  void ExpectSameFacts(const RunFacts& a, const RunFacts& b, const std::string& name) {
    EXPECT_EQ(a.parent, b.parent) << name;
    EXPECT_EQ(a.type, b.type) << name;
    EXPECT_EQ(a.namespace_name, b.namespace_name) << name;
    EXPECT_EQ(a.pipeline, b.pipeline) << name;
    EXPECT_EQ(a.repository, b.repository) << name;
    EXPECT_EQ(a.created_micros, b.created_micros) << name;
    EXPECT_EQ(a.started_micros, b.started_micros) << name;
    EXPECT_EQ(a.completed_micros, b.completed_micros) << name;
    EXPECT_EQ(a.bucket, b.bucket) << name;
  }

  ListerFixture fixture_;
  std::map<std::string, bool> expected_;  // record name -> matches the filter now
};

TEST_F(LogScanTest, FindsTheCurrentMatchesWithOrWithoutTheSuccessorTable) {
  absl::StatusOr<std::unique_ptr<const Filter>> filter =
      Filter::Compile("data.spec.timeout == '1h0m0s'", FilterTarget::kRecords);
  ASSERT_TRUE(filter.ok()) << filter.status();
  for (SuccessorTable* successors :
       {&fixture_.store().successors(), static_cast<SuccessorTable*>(nullptr)}) {
    std::map<std::string, RunFacts> found = Scan(filter->get(), successors);
    for (const auto& [name, matches] : expected_) {
      EXPECT_EQ(found.count(name), matches ? 1u : 0u) << name;
    }
  }
}

TEST_F(LogScanTest, FactsFromTheFiltersParseEqualAFreshParse) {
  // The filter walks the document first (into spec and status), then the facts read it again.
  absl::StatusOr<std::unique_ptr<const Filter>> filter = Filter::Compile(
      "data.spec.timeout != '' && size(data.status.conditions) > 0", FilterTarget::kRecords);
  ASSERT_TRUE(filter.ok()) << filter.status();
  std::map<std::string, RunFacts> found = Scan(filter->get(), &fixture_.store().successors());
  ASSERT_EQ(found.size(), expected_.size());
  for (const auto& [name, facts] : found) {
    ExpectSameFacts(facts, FreshFacts(name), name);
    EXPECT_TRUE(facts.pipeline.has_value()) << name;
    EXPECT_TRUE(facts.duration_micros().has_value()) << name;
  }
}

TEST_F(LogScanTest, WithoutAFilterEveryCurrentRecordIsVisitedUnparsed) {
  std::map<std::string, RunFacts> found = Scan(nullptr, &fixture_.store().successors());
  ASSERT_EQ(found.size(), expected_.size());
  for (const auto& [name, facts] : found) ExpectSameFacts(facts, FreshFacts(name), name);
}

}  // namespace
}  // namespace runledger
