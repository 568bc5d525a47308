// Unit tests of the watcher's write path, Ingestor::UpsertRun (src/ingest/run_upsert.h), in-process
// over a real Store: a run's Result and Record are created together, a repeated upsert appends
// nothing, a change appends only the event it needs, a top-level run merges into an existing
// Result and a child leaves it alone, runs decided in one group see each other, and each bad
// field is InvalidArgument naming it, with nothing appended.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/ingest/ingestor.h"
#include "src/projections/store.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

namespace rpc = ::tekton::results::v1alpha2;

constexpr char kSource[] = "watcher:w1";
constexpr char kResult[] = "ns/results/r";
constexpr char kRecord[] = "ns/results/r/records/x";

v1::RunUpsert MakeRun(const std::string& record = kRecord, const std::string& value = R"({"a":1})",
                      bool update_result = true) {
  v1::RunUpsert run;
  run.mutable_result()->set_name(kResult);
  run.set_update_result(update_result);
  run.mutable_record()->set_name(record);
  run.mutable_record()->mutable_data()->set_type("tekton.dev/v1.TaskRun");
  run.mutable_record()->mutable_data()->set_value(value);
  return run;
}

rpc::RecordSummary Summary(rpc::RecordSummary::Status status,
                           std::map<std::string, std::string> annotations = {}) {
  rpc::RecordSummary summary;
  summary.set_record(kRecord);
  summary.set_type("tekton.dev/v1.PipelineRun");
  summary.set_status(status);
  summary.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return summary;
}

std::string Describe(const v1::Event& e) {
  return absl::StrCat(v1::EventKind_Name(e.kind()), " ", e.name());
}

class IngestorUpsertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ingestor_ = std::make_unique<Ingestor>(&store_->log(), &store_->reader());
  }

  v1::RunUpsertResult MustUpsert(const v1::RunUpsert& run) {
    absl::StatusOr<v1::RunUpsertResult> outcome = ingestor_->UpsertRun(run, kSource);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : v1::RunUpsertResult();
  }

  rpc::Result StoredResult(const std::string& name = kResult) {
    absl::StatusOr<std::optional<rpc::Result>> r = store_->reader().GetResult(name);
    EXPECT_TRUE(r.ok() && r->has_value()) << name;
    return r.ok() && r->has_value() ? **r : rpc::Result();
  }
  rpc::Record StoredRecord(const std::string& name = kRecord) {
    absl::StatusOr<std::optional<rpc::Record>> r = store_->reader().GetRecord(name);
    EXPECT_TRUE(r.ok() && r->has_value()) << name;
    return r.ok() && r->has_value() ? **r : rpc::Record();
  }

  uint64_t Head() { return store_->log().LastSequence(); }
  std::vector<v1::Event> EventsAfter(uint64_t after) {
    absl::StatusOr<std::vector<v1::Event>> events = store_->log().Read(after + 1, 1 << 20);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<v1::Event>();
  }
  std::vector<std::string> DescribeEventsAfter(uint64_t after) {
    std::vector<std::string> out;
    for (const v1::Event& e : EventsAfter(after)) out.push_back(Describe(e));
    return out;
  }

  // The code and message of an upsert expected to fail, and that it appended nothing.
  absl::Status Rejected(const v1::RunUpsert& run) {
    const uint64_t before = Head();
    absl::StatusOr<v1::RunUpsertResult> outcome = ingestor_->UpsertRun(run, kSource);
    EXPECT_EQ(Head(), before);
    return outcome.status();
  }

  e2e::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(IngestorUpsertTest, CreatesResultAndRecordInOneAppend) {
  v1::RunUpsert run = MakeRun();
  (*run.mutable_result()->mutable_annotations())["repo"] = "x";
  *run.mutable_result()->mutable_summary() = Summary(rpc::RecordSummary::SUCCESS);
  v1::RunUpsertResult outcome = MustUpsert(run);

  const std::vector<v1::Event> events = EventsAfter(0);
  ASSERT_THAT(DescribeEventsAfter(0), ElementsAre(absl::StrCat("RESULT_CREATED ", kResult),
                                                  absl::StrCat("RECORD_CREATED ", kRecord)));
  EXPECT_EQ(events[0].source(), kSource);
  EXPECT_EQ(events[1].source(), kSource);
  EXPECT_TRUE(outcome.result_changed());
  EXPECT_TRUE(outcome.record_changed());

  const rpc::Result result = StoredResult();
  EXPECT_EQ(outcome.result().name(), kResult);
  EXPECT_EQ(outcome.result().uid(), result.uid());
  EXPECT_EQ(outcome.result().etag(), result.etag());
  EXPECT_THAT(result.annotations(), UnorderedElementsAre(Pair("repo", "x")));
  EXPECT_TRUE(e2e::ProtoEq(run.result().summary(), result.summary()));
  const rpc::Record record = StoredRecord();
  EXPECT_EQ(outcome.record().name(), kRecord);
  EXPECT_EQ(outcome.record().uid(), record.uid());
  EXPECT_EQ(outcome.record().etag(), record.etag());
  EXPECT_TRUE(e2e::ProtoEq(run.record().data(), record.data()));
  EXPECT_TRUE(e2e::HasServerFields(record));
  EXPECT_TRUE(e2e::HasServerFields(result));
}

TEST_F(IngestorUpsertTest, TheSameUpsertAgainAppendsNothing) {
  v1::RunUpsert run = MakeRun();
  *run.mutable_result()->mutable_summary() = Summary(rpc::RecordSummary::UNKNOWN, {{"k", "v"}});
  (*run.mutable_result()->mutable_annotations())["a"] = "1";
  const v1::RunUpsertResult first = MustUpsert(run);
  const uint64_t head = Head();

  const v1::RunUpsertResult again = MustUpsert(run);
  EXPECT_EQ(Head(), head);
  EXPECT_FALSE(again.result_changed());
  EXPECT_FALSE(again.record_changed());
  EXPECT_TRUE(e2e::ProtoEq(first.result(), again.result()));
  EXPECT_TRUE(e2e::ProtoEq(first.record(), again.record()));
}

TEST_F(IngestorUpsertTest, NewDataUpdatesOnlyTheRecord) {
  const v1::RunUpsertResult first = MustUpsert(MakeRun());
  const rpc::Record before = StoredRecord();
  const uint64_t head = Head();

  const v1::RunUpsertResult second = MustUpsert(MakeRun(kRecord, R"({"a":2})"));
  EXPECT_THAT(DescribeEventsAfter(head), ElementsAre(absl::StrCat("RECORD_UPDATED ", kRecord)));
  EXPECT_FALSE(second.result_changed());
  EXPECT_TRUE(second.record_changed());
  const rpc::Record after = StoredRecord();
  EXPECT_EQ(after.data().value(), R"({"a":2})");
  EXPECT_EQ(after.uid(), before.uid());
  EXPECT_TRUE(e2e::ProtoEq(before.create_time(), after.create_time()));
  EXPECT_NE(after.etag(), before.etag());
  EXPECT_EQ(second.record().etag(), after.etag());

  v1::RunUpsert new_type = MakeRun(kRecord, R"({"a":2})");
  new_type.mutable_record()->mutable_data()->set_type("tekton.dev/v1.PipelineRun");
  EXPECT_TRUE(MustUpsert(new_type).record_changed());
  EXPECT_EQ(StoredRecord().data().type(), "tekton.dev/v1.PipelineRun");
}

TEST_F(IngestorUpsertTest, TopLevelRunMergesIntoTheStoredResult) {
  v1::RunUpsert first = MakeRun();
  (*first.mutable_result()->mutable_annotations())["a"] = "1";
  (*first.mutable_result()->mutable_annotations())["b"] = "2";
  *first.mutable_result()->mutable_summary() =
      Summary(rpc::RecordSummary::UNKNOWN, {{"x", "1"}, {"y", "1"}});
  MustUpsert(first);
  const rpc::Result before = StoredResult();
  const uint64_t head = Head();

  v1::RunUpsert second = MakeRun();
  (*second.mutable_result()->mutable_annotations())["b"] = "3";
  (*second.mutable_result()->mutable_annotations())["c"] = "4";
  *second.mutable_result()->mutable_summary() =
      Summary(rpc::RecordSummary::SUCCESS, {{"y", "2"}, {"z", "2"}});
  second.mutable_result()->mutable_summary()->mutable_end_time()->set_seconds(1700000000);
  const v1::RunUpsertResult outcome = MustUpsert(second);

  EXPECT_THAT(DescribeEventsAfter(head), ElementsAre(absl::StrCat("RESULT_UPDATED ", kResult)));
  EXPECT_TRUE(outcome.result_changed());
  EXPECT_FALSE(outcome.record_changed());
  const rpc::Result after = StoredResult();
  EXPECT_THAT(after.annotations(),
              UnorderedElementsAre(Pair("a", "1"), Pair("b", "3"), Pair("c", "4")));
  EXPECT_EQ(after.summary().status(), rpc::RecordSummary::SUCCESS);
  EXPECT_EQ(after.summary().end_time().seconds(), 1700000000);
  EXPECT_THAT(after.summary().annotations(),
              UnorderedElementsAre(Pair("x", "1"), Pair("y", "2"), Pair("z", "2")));
  EXPECT_EQ(after.uid(), before.uid());
  EXPECT_NE(after.etag(), before.etag());

  // An upsert without a summary keeps the stored one; nothing else changes, so no event.
  v1::RunUpsert no_summary = MakeRun();
  (*no_summary.mutable_result()->mutable_annotations())["c"] = "4";
  const uint64_t settled = Head();
  EXPECT_FALSE(MustUpsert(no_summary).result_changed());
  EXPECT_EQ(Head(), settled);
  EXPECT_EQ(StoredResult().summary().status(), rpc::RecordSummary::SUCCESS);
}

TEST_F(IngestorUpsertTest, ChildRunCreatesButNeverUpdatesTheResult) {
  v1::RunUpsert child =
      MakeRun("ns/results/r/records/child", R"({"c":1})", /*update_result=*/false);
  (*child.mutable_result()->mutable_annotations())["from"] = "child";
  MustUpsert(child);
  EXPECT_THAT(StoredResult().annotations(), UnorderedElementsAre(Pair("from", "child")));

  const uint64_t head = Head();
  (*child.mutable_result()->mutable_annotations())["from"] = "child again";
  child.mutable_record()->mutable_data()->set_value(R"({"c":2})");
  const v1::RunUpsertResult outcome = MustUpsert(child);
  EXPECT_THAT(DescribeEventsAfter(head), ElementsAre("RECORD_UPDATED ns/results/r/records/child"));
  EXPECT_FALSE(outcome.result_changed());
  EXPECT_THAT(StoredResult().annotations(), UnorderedElementsAre(Pair("from", "child")));
}

TEST_F(IngestorUpsertTest, RunsOfOneGroupSeeEachOther) {
  // Submitted back to back, the runs are decided in one commit group: the second finds the
  // Result the first created, the third finds the second's record.
  std::vector<v1::RunUpsert> runs = {MakeRun("ns/results/r/records/parent"),
                                     MakeRun("ns/results/r/records/child", "{}", false),
                                     MakeRun("ns/results/r/records/child", "{}", false)};
  std::vector<absl::StatusOr<v1::RunUpsertResult>> outcomes(runs.size());
  absl::BlockingCounter finished(static_cast<int>(runs.size()));
  for (size_t i = 0; i < runs.size(); ++i) {
    ingestor_->UpsertRun(runs[i], kSource, [&, i](absl::StatusOr<v1::RunUpsertResult> outcome) {
      outcomes[i] = std::move(outcome);
      finished.DecrementCount();
    });
  }
  finished.Wait();
  for (const auto& outcome : outcomes) ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_THAT(DescribeEventsAfter(0), ElementsAre(absl::StrCat("RESULT_CREATED ", kResult),
                                                  "RECORD_CREATED ns/results/r/records/parent",
                                                  "RECORD_CREATED ns/results/r/records/child"));
  EXPECT_EQ(outcomes[0]->result().uid(), outcomes[1]->result().uid());
  EXPECT_FALSE(outcomes[2]->record_changed());
}

TEST_F(IngestorUpsertTest, BadFieldsAreInvalidArgumentNamingTheField) {
  auto expect_invalid = [this](const v1::RunUpsert& run, const std::string& field) {
    absl::Status status = Rejected(run);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field << ": " << status;
    EXPECT_THAT(std::string(status.message()), ::testing::StartsWith(field + ": "));
  };
  v1::RunUpsert bad_result = MakeRun();
  bad_result.mutable_result()->set_name("Upper/results/r");
  expect_invalid(bad_result, "result.name");
  expect_invalid(MakeRun("ns/results/r/records/Bad"), "record.name");
  expect_invalid(MakeRun("ns/results/other/records/x"), "record.name");
  expect_invalid(MakeRun(kRecord, "{not json"), "record.data");
  expect_invalid(MakeRun(kRecord, ""), "record.data");
  v1::RunUpsert no_data = MakeRun();
  no_data.mutable_record()->clear_data();
  expect_invalid(no_data, "record.data");
  v1::RunUpsert long_type = MakeRun();
  long_type.mutable_record()->mutable_data()->set_type(std::string(769, 't'));
  expect_invalid(long_type, "record.data");
  v1::RunUpsert bad_summary = MakeRun();
  bad_summary.mutable_result()->mutable_summary()->set_type("t");
  expect_invalid(bad_summary, "result.summary");
  bad_summary.mutable_result()->mutable_summary()->set_record("not-a-record");
  expect_invalid(bad_summary, "result.summary");
  EXPECT_THAT(std::string(Rejected(MakeRun("ns/results/other/records/x")).message()),
              HasSubstr("is not a record of result ns/results/r"));
  EXPECT_EQ(Head(), 0u);
}

}  // namespace
}  // namespace runledger
