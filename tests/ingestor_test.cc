// Unit tests of the write path (src/ingest/ingestor.h) in-process over a real Store: CRUD
// semantics and codes of api.md §2.3, server-generated fields, the events each write appends,
// and per-entity serialization of concurrent writes.
#include "src/ingest/ingestor.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/time_util.h"
#include "src/projections/store.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

namespace rpc = ::tekton::results::v1alpha2;
using e2e::HasServerFields;
using e2e::MakeData;
using e2e::MakeRecord;
using e2e::MakeResult;
using e2e::ProtoEq;
using e2e::UpdateRecordReq;
using e2e::UpdateResultReq;

constexpr char kSource[] = "api:test";
constexpr char kUuidV4[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
constexpr char kResult[] = "p/results/r";
constexpr char kRecord[] = "p/results/r/records/x";

MATCHER_P(StatusIs, code, "") { return arg.code() == code; }

rpc::RecordSummary Summary(const std::string& record, int64_t start_seconds = 0) {
  rpc::RecordSummary summary;
  summary.set_record(record);
  summary.set_type("tekton.dev/v1.PipelineRun");
  if (start_seconds != 0) summary.mutable_start_time()->set_seconds(start_seconds);
  return summary;
}

// One kind and name of an event, for comparing the log's tail.
std::string Describe(const v1::Event& e) {
  return absl::StrCat(v1::EventKind_Name(e.kind()), " ", e.name());
}

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ingestor_ = std::make_unique<Ingestor>(&store_->log(), &store_->reader());
  }

  absl::StatusOr<rpc::Result> CreateResult(const std::string& parent, const rpc::Result& result) {
    rpc::CreateResultRequest req;
    req.set_parent(parent);
    *req.mutable_result() = result;
    return ingestor_->CreateResult(req, kSource);
  }
  absl::StatusOr<rpc::Record> CreateRecord(const std::string& parent, const rpc::Record& record) {
    rpc::CreateRecordRequest req;
    req.set_parent(parent);
    *req.mutable_record() = record;
    return ingestor_->CreateRecord(req, kSource);
  }
  absl::StatusOr<rpc::Result> UpdateResult(const rpc::UpdateResultRequest& req) {
    return ingestor_->UpdateResult(req, kSource);
  }
  absl::StatusOr<rpc::Record> UpdateRecord(const rpc::UpdateRecordRequest& req) {
    return ingestor_->UpdateRecord(req, kSource);
  }
  absl::Status DeleteResult(const std::string& name) {
    rpc::DeleteResultRequest req;
    req.set_name(name);
    return ingestor_->DeleteResult(req, kSource);
  }
  absl::Status DeleteRecord(const std::string& name) {
    rpc::DeleteRecordRequest req;
    req.set_name(name);
    return ingestor_->DeleteRecord(req, kSource);
  }

  // Creates `name` (a Result) and fails the test if that fails.
  rpc::Result MustCreateResult(const std::string& name, const rpc::Result& body = {}) {
    rpc::Result result = body;
    result.set_name(name);
    absl::StatusOr<rpc::Result> created = CreateResult(name.substr(0, name.find('/')), result);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : rpc::Result();
  }
  rpc::Record MustCreateRecord(const rpc::Record& record) {
    absl::StatusOr<rpc::Record> created =
        CreateRecord(record.name().substr(0, record.name().find("/records/")), record);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : rpc::Record();
  }

  std::optional<rpc::Result> StoredResult(const std::string& name) {
    absl::StatusOr<std::optional<rpc::Result>> r = store_->reader().GetResult(name);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }
  std::optional<rpc::Record> StoredRecord(const std::string& name) {
    absl::StatusOr<std::optional<rpc::Record>> r = store_->reader().GetRecord(name);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }

  uint64_t Head() { return store_->log().LastSequence(); }

  // The events after sequence `after`.
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

  e2e::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

// --- CreateResult ---

TEST_F(IngestorTest, CreateResultSetsServerFieldsAndStoresTheResult) {
  absl::StatusOr<rpc::Result> created = CreateResult("p", MakeResult(kResult, {{"a", "b"}}));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), kResult);
  EXPECT_EQ(created->annotations().at("a"), "b");
  EXPECT_THAT(created->uid(), MatchesRegex(kUuidV4));
  EXPECT_TRUE(HasServerFields(*created));
  EXPECT_TRUE(ProtoEq(created->create_time(), created->update_time()));
  EXPECT_EQ(created->etag(),
            absl::StrCat(created->uid(), "-", TimestampToNanos(created->update_time())));
  std::optional<rpc::Result> stored = StoredResult(kResult);
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(ProtoEq(*created, *stored));
}

TEST_F(IngestorTest, CreateResultAppendsOneResultCreatedEventWithTheState) {
  absl::StatusOr<rpc::Result> created = CreateResult("p", MakeResult(kResult));
  ASSERT_TRUE(created.ok()) << created.status();
  std::vector<v1::Event> events = EventsAfter(0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind(), v1::RESULT_CREATED);
  EXPECT_EQ(events[0].name(), kResult);
  EXPECT_EQ(events[0].source(), kSource);
  EXPECT_EQ(events[0].sequence(), 1u);
  EXPECT_TRUE(ProtoEq(*created, events[0].result()));
}

TEST_F(IngestorTest, CreateResultIgnoresClientServerFields) {
  rpc::Result input = MakeResult(kResult);
  input.set_uid("client-uid");
  input.set_etag("client-etag");
  input.mutable_create_time()->set_seconds(1000);
  input.mutable_update_time()->set_seconds(2000);
  absl::StatusOr<rpc::Result> created = CreateResult("p", input);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_NE(created->uid(), "client-uid");
  EXPECT_TRUE(HasServerFields(*created));
  EXPECT_GT(created->create_time().seconds(), 1600000000);
}

TEST_F(IngestorTest, CreateResultGivesEveryResultItsOwnUid) {
  const std::string a = MustCreateResult("p/results/a").uid();
  const std::string b = MustCreateResult("p/results/b").uid();
  EXPECT_NE(a, b);
}

TEST_F(IngestorTest, CreateResultRejectsBadNameWithGrammarMessage) {
  absl::StatusOr<rpc::Result> created = CreateResult("p", MakeResult("p/results/"));
  EXPECT_THAT(created.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(created.status().message(), HasSubstr("name must match"));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(IngestorTest, CreateResultRequiresTheExactParent) {
  for (const std::string parent : {"q", "", " p", "p "}) {
    absl::StatusOr<rpc::Result> created = CreateResult(parent, MakeResult(kResult));
    EXPECT_THAT(created.status(), StatusIs(absl::StatusCode::kInvalidArgument)) << parent;
    EXPECT_THAT(created.status().message(),
                HasSubstr("requested parent does not match resource name"));
  }
  EXPECT_EQ(Head(), 0u);
}

TEST_F(IngestorTest, CreateResultTwiceIsAlreadyExists) {
  MustCreateResult(kResult);
  EXPECT_THAT(CreateResult("p", MakeResult(kResult)).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Head(), 1u);
}

TEST_F(IngestorTest, CreateResultValidatesTheSummary) {
  rpc::Result input = MakeResult(kResult);
  *input.mutable_summary() = Summary("foo");
  EXPECT_THAT(CreateResult("p", input).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  *input.mutable_summary() = Summary("other/results/s/records/t", 1234);
  absl::StatusOr<rpc::Result> created = CreateResult("p", input);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(ProtoEq(input.summary(), created->summary()));
}

// --- UpdateResult ---

TEST_F(IngestorTest, UpdateResultOfMissingResultIsNotFound) {
  EXPECT_THAT(UpdateResult(UpdateResultReq(kResult, MakeResult(kResult))).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(IngestorTest, UpdateResultRejectsBadName) {
  EXPECT_THAT(UpdateResult(UpdateResultReq("p/result/r", MakeResult(kResult))).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(IngestorTest, UpdateResultWithStaleEtagIsFailedPrecondition) {
  rpc::Result created = MustCreateResult(kResult);
  ASSERT_TRUE(UpdateResult(UpdateResultReq(kResult, created, created.etag())).ok());
  absl::StatusOr<rpc::Result> stale =
      UpdateResult(UpdateResultReq(kResult, created, created.etag()));
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(stale.status().message(), HasSubstr("the etag mismatches"));
  EXPECT_EQ(Head(), 2u);
}

TEST_F(IngestorTest, UpdateResultWithoutEtagAlwaysApplies) {
  MustCreateResult(kResult);
  EXPECT_TRUE(UpdateResult(UpdateResultReq(kResult, MakeResult(kResult))).ok());
  EXPECT_TRUE(UpdateResult(UpdateResultReq(kResult, MakeResult(kResult))).ok());
}

TEST_F(IngestorTest, UpdateResultReplacesAnnotationsAndSummary) {
  rpc::Result body = MakeResult(kResult, {{"a", "1"}, {"b", "2"}});
  *body.mutable_summary() = Summary("p/results/r/records/x", 100);
  rpc::Result created = MustCreateResult(kResult, body);

  rpc::Result replacement = MakeResult(kResult, {{"c", "3"}});
  absl::StatusOr<rpc::Result> updated = UpdateResult(UpdateResultReq(kResult, replacement));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_THAT(updated->annotations(), testing::UnorderedElementsAre(testing::Pair("c", "3")));
  EXPECT_FALSE(updated->has_summary());
  EXPECT_EQ(updated->uid(), created.uid());
  EXPECT_TRUE(ProtoEq(created.create_time(), updated->create_time()));
  EXPECT_TRUE(HasServerFields(*updated));
  EXPECT_TRUE(ProtoEq(*updated, *StoredResult(kResult)));
}

TEST_F(IngestorTest, UpdateResultWithoutBodyClearsAnnotationsAndSummary) {
  rpc::Result body = MakeResult(kResult, {{"a", "1"}});
  *body.mutable_summary() = Summary("p/results/r/records/x");
  MustCreateResult(kResult, body);
  absl::StatusOr<rpc::Result> updated = UpdateResult(UpdateResultReq(kResult, std::nullopt));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_THAT(updated->annotations(), IsEmpty());
  EXPECT_FALSE(updated->has_summary());
}

TEST_F(IngestorTest, UpdateResultUsesOnlyTheTopLevelName) {
  MustCreateResult(kResult);
  rpc::Result other = MustCreateResult("p/results/other");
  absl::StatusOr<rpc::Result> updated =
      UpdateResult(UpdateResultReq(kResult, MakeResult("p/results/other", {{"x", "y"}})));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->name(), kResult);
  EXPECT_EQ(StoredResult(kResult)->annotations().at("x"), "y");
  EXPECT_TRUE(ProtoEq(other, *StoredResult("p/results/other")));
}

TEST_F(IngestorTest, UpdateResultWithInvalidSummaryChangesNothing) {
  rpc::Result created = MustCreateResult(kResult);
  rpc::Result body = MakeResult(kResult);
  *body.mutable_summary() = Summary("");
  EXPECT_THAT(UpdateResult(UpdateResultReq(kResult, body)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(ProtoEq(created, *StoredResult(kResult)));
  EXPECT_EQ(Head(), 1u);
}

TEST_F(IngestorTest, UpdateResultTimesStrictlyIncreaseAndEtagsDiffer) {
  rpc::Result previous = MustCreateResult(kResult);
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<rpc::Result> updated = UpdateResult(UpdateResultReq(kResult, std::nullopt));
    ASSERT_TRUE(updated.ok()) << updated.status();
    EXPECT_GT(TimestampToNanos(updated->update_time()), TimestampToNanos(previous.update_time()));
    EXPECT_NE(updated->etag(), previous.etag());
    EXPECT_TRUE(HasServerFields(*updated));
    previous = *updated;
  }
}

TEST_F(IngestorTest, UpdateResultAppendsResultUpdatedWithTheFullState) {
  MustCreateResult(kResult);
  const uint64_t before = Head();
  absl::StatusOr<rpc::Result> updated =
      UpdateResult(UpdateResultReq(kResult, MakeResult(kResult, {{"k", "v"}})));
  ASSERT_TRUE(updated.ok()) << updated.status();
  std::vector<v1::Event> events = EventsAfter(before);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind(), v1::RESULT_UPDATED);
  EXPECT_TRUE(ProtoEq(*updated, events[0].result()));
  EXPECT_EQ(TimestampToNanos(events[0].time()), TimestampToNanos(updated->update_time()));
}

// --- DeleteResult ---

TEST_F(IngestorTest, DeleteResultOfMissingResultIsNotFound) {
  EXPECT_THAT(DeleteResult(kResult), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DeleteResult("bad"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(IngestorTest, DeleteResultCascadesToItsRecordsInOneAppend) {
  MustCreateResult(kResult);
  MustCreateResult("p/results/r2");
  for (const std::string id : {"a", "b", "c"}) {
    MustCreateRecord(MakeRecord(absl::StrCat(kResult, "/records/", id)));
  }
  MustCreateRecord(MakeRecord("p/results/r2/records/a"));
  const uint64_t before = Head();

  ASSERT_TRUE(DeleteResult(kResult).ok());
  std::vector<v1::Event> events = EventsAfter(before);
  ASSERT_EQ(events.size(), 4u);
  std::vector<std::string> deleted_records;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].kind(), v1::RECORD_DELETED);
    deleted_records.push_back(events[i].name());
  }
  EXPECT_THAT(deleted_records,
              testing::UnorderedElementsAre("p/results/r/records/a", "p/results/r/records/b",
                                            "p/results/r/records/c"));
  EXPECT_EQ(Describe(events[3]), "RESULT_DELETED p/results/r");
  // One append: the same acceptance time on every event.
  for (const v1::Event& e : events) EXPECT_TRUE(ProtoEq(events[0].time(), e.time()));

  EXPECT_FALSE(StoredResult(kResult).has_value());
  EXPECT_FALSE(StoredRecord("p/results/r/records/a").has_value());
  EXPECT_TRUE(StoredResult("p/results/r2").has_value());
  EXPECT_TRUE(StoredRecord("p/results/r2/records/a").has_value());
  EXPECT_THAT(DeleteResult(kResult), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(IngestorTest, DeletedResultCanBeCreatedAgainWithoutItsRecords) {
  rpc::Result first = MustCreateResult(kResult);
  MustCreateRecord(MakeRecord(kRecord));
  ASSERT_TRUE(DeleteResult(kResult).ok());
  EXPECT_THAT(CreateRecord(kResult, MakeRecord(kRecord)).status(),
              StatusIs(absl::StatusCode::kNotFound));
  rpc::Result second = MustCreateResult(kResult);
  EXPECT_NE(first.uid(), second.uid());
  EXPECT_FALSE(StoredRecord(kRecord).has_value());
}

// --- CreateRecord ---

TEST_F(IngestorTest, CreateRecordSetsServerFieldsAndStoresTheRecord) {
  rpc::Result result = MustCreateResult(kResult);
  absl::StatusOr<rpc::Record> created = CreateRecord(kResult, MakeRecord(kRecord));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->uid(), MatchesRegex(kUuidV4));
  EXPECT_NE(created->uid(), result.uid());
  EXPECT_TRUE(HasServerFields(*created));
  EXPECT_TRUE(ProtoEq(MakeRecord(kRecord).data(), created->data()));
  EXPECT_TRUE(ProtoEq(*created, *StoredRecord(kRecord)));
  std::vector<v1::Event> events = EventsAfter(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Describe(events[0]), absl::StrCat("RECORD_CREATED ", kRecord));
  EXPECT_TRUE(ProtoEq(*created, events[0].record()));
}

TEST_F(IngestorTest, CreateRecordWithoutDataIsAllowed) {
  MustCreateResult(kResult);
  rpc::Record input;
  input.set_name(kRecord);
  absl::StatusOr<rpc::Record> created = CreateRecord(kResult, input);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->has_data());
}

TEST_F(IngestorTest, CreateRecordRequiresTheExactParent) {
  MustCreateResult(kResult);
  for (const std::string parent : {"p", "", "p/results/other", " p/results/r"}) {
    absl::StatusOr<rpc::Record> created = CreateRecord(parent, MakeRecord(kRecord));
    EXPECT_THAT(created.status(), StatusIs(absl::StatusCode::kInvalidArgument)) << parent;
    EXPECT_THAT(created.status().message(),
                HasSubstr("requested parent does not match resource name"));
  }
}

TEST_F(IngestorTest, CreateRecordRejectsBadName) {
  MustCreateResult(kResult);
  EXPECT_THAT(CreateRecord(kResult, MakeRecord(kResult)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(IngestorTest, CreateRecordUnderMissingResultIsNotFound) {
  EXPECT_THAT(CreateRecord(kResult, MakeRecord(kRecord)).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Head(), 0u);
}

TEST_F(IngestorTest, CreateRecordTwiceIsAlreadyExists) {
  MustCreateResult(kResult);
  MustCreateRecord(MakeRecord(kRecord));
  EXPECT_THAT(CreateRecord(kResult, MakeRecord(kRecord)).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(IngestorTest, CreateRecordValidatesData) {
  MustCreateResult(kResult);
  rpc::Record empty_data;
  empty_data.set_name(kRecord);
  empty_data.mutable_data();
  absl::StatusOr<rpc::Record> created = CreateRecord(kResult, empty_data);
  EXPECT_THAT(created.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(std::string(created.status().message()), "unexpected end of JSON input");
  EXPECT_THAT(CreateRecord(kResult, MakeRecord(kRecord, std::string(769, 't'), "{}")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CreateRecord(kResult, MakeRecord(kRecord, "T", "{")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Head(), 1u);
}

// --- UpdateRecord ---

TEST_F(IngestorTest, UpdateRecordOfMissingRecordIsNotFoundAndCreatesNothing) {
  MustCreateResult(kResult);
  EXPECT_THAT(UpdateRecord(UpdateRecordReq(MakeRecord(kRecord))).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(StoredRecord(kRecord).has_value());
  EXPECT_EQ(Head(), 1u);
}

TEST_F(IngestorTest, UpdateRecordWithStaleEtagIsFailedPrecondition) {
  MustCreateResult(kResult);
  rpc::Record created = MustCreateRecord(MakeRecord(kRecord));
  ASSERT_TRUE(UpdateRecord(UpdateRecordReq(MakeRecord(kRecord), created.etag())).ok());
  absl::StatusOr<rpc::Record> stale =
      UpdateRecord(UpdateRecordReq(MakeRecord(kRecord), created.etag()));
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(stale.status().message(), HasSubstr("the etag mismatches"));
}

TEST_F(IngestorTest, UpdateRecordWithValueOnlyKeepsTheType) {
  MustCreateResult(kResult);
  MustCreateRecord(MakeRecord(kRecord, "OldType", R"({"old":1})"));
  absl::StatusOr<rpc::Record> updated =
      UpdateRecord(UpdateRecordReq(MakeRecord(kRecord, "", R"({"new":2})")));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(ProtoEq(MakeData("OldType", R"({"new":2})"), updated->data()));
  EXPECT_TRUE(ProtoEq(*updated, *StoredRecord(kRecord)));
}

TEST_F(IngestorTest, UpdateRecordWithTypeOnlyKeepsTheValue) {
  MustCreateResult(kResult);
  MustCreateRecord(MakeRecord(kRecord, "OldType", R"({"old":1})"));
  absl::StatusOr<rpc::Record> updated =
      UpdateRecord(UpdateRecordReq(MakeRecord(kRecord, "New", "")));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(ProtoEq(MakeData("New", R"({"old":1})"), updated->data()));
}

TEST_F(IngestorTest, UpdateRecordWithoutDataKeepsTheData) {
  MustCreateResult(kResult);
  rpc::Record created = MustCreateRecord(MakeRecord(kRecord, "T", "[1]"));
  rpc::Record input;
  input.set_name(kRecord);
  absl::StatusOr<rpc::Record> updated = UpdateRecord(UpdateRecordReq(input));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(ProtoEq(created.data(), updated->data()));
  EXPECT_EQ(updated->uid(), created.uid());
  EXPECT_TRUE(ProtoEq(created.create_time(), updated->create_time()));
  EXPECT_GT(TimestampToNanos(updated->update_time()), TimestampToNanos(created.update_time()));
  EXPECT_TRUE(HasServerFields(*updated));
}

TEST_F(IngestorTest, UpdateRecordIgnoresClientServerFields) {
  MustCreateResult(kResult);
  rpc::Record created = MustCreateRecord(MakeRecord(kRecord));
  rpc::Record input = MakeRecord(kRecord);
  input.set_uid("client-uid");
  input.set_etag("client-etag");
  input.mutable_create_time()->set_seconds(5);
  absl::StatusOr<rpc::Record> updated = UpdateRecord(UpdateRecordReq(input));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->uid(), created.uid());
  EXPECT_TRUE(ProtoEq(created.create_time(), updated->create_time()));
  EXPECT_TRUE(HasServerFields(*updated));
}

TEST_F(IngestorTest, UpdateRecordValidatesTheMergedData) {
  MustCreateResult(kResult);
  rpc::Record no_data;
  no_data.set_name(kRecord);
  rpc::Record created = MustCreateRecord(no_data);
  // Type only, onto a record without data: the merged value is empty.
  absl::StatusOr<rpc::Record> updated = UpdateRecord(UpdateRecordReq(MakeRecord(kRecord, "T", "")));
  EXPECT_THAT(updated.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(std::string(updated.status().message()), "unexpected end of JSON input");
  EXPECT_THAT(UpdateRecord(UpdateRecordReq(MakeRecord(kRecord, "T", "nope"))).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(ProtoEq(created, *StoredRecord(kRecord)));
  EXPECT_EQ(Head(), 2u);
}

TEST_F(IngestorTest, UpdateRecordAppendsRecordUpdatedWithTheMergedState) {
  MustCreateResult(kResult);
  MustCreateRecord(MakeRecord(kRecord));
  absl::StatusOr<rpc::Record> updated = UpdateRecord(UpdateRecordReq(MakeRecord(kRecord, "", "5")));
  ASSERT_TRUE(updated.ok()) << updated.status();
  std::vector<v1::Event> events = EventsAfter(2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Describe(events[0]), absl::StrCat("RECORD_UPDATED ", kRecord));
  EXPECT_TRUE(ProtoEq(*updated, events[0].record()));
}

// --- DeleteRecord ---

TEST_F(IngestorTest, DeleteRecordRemovesItOnce) {
  MustCreateResult(kResult);
  MustCreateRecord(MakeRecord(kRecord));
  ASSERT_TRUE(DeleteRecord(kRecord).ok());
  EXPECT_FALSE(StoredRecord(kRecord).has_value());
  EXPECT_THAT(DescribeEventsAfter(2), ElementsAre(absl::StrCat("RECORD_DELETED ", kRecord)));
  EXPECT_THAT(DeleteRecord(kRecord), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DeleteRecord("p/results/r"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(StoredResult(kResult).has_value());
}

// --- Concurrency ---

// Runs `attempt` on `threads` threads at once and returns how many returned OK; every other
// outcome must have code `loser_code`.
template <typename Attempt>
int CountWinners(int threads, Attempt attempt, absl::StatusCode loser_code) {
  std::atomic<int> ok{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      absl::Status s = attempt();
      if (s.ok()) {
        ok.fetch_add(1);
      } else {
        EXPECT_EQ(s.code(), loser_code) << s;
      }
    });
  }
  go.store(true);
  for (std::thread& t : workers) t.join();
  return ok.load();
}

TEST_F(IngestorTest, ConcurrentResultUpdatesWithTheSameEtagHaveOneWinner) {
  const std::string etag = MustCreateResult(kResult).etag();
  int winners = CountWinners(
      8, [&] { return UpdateResult(UpdateResultReq(kResult, MakeResult(kResult), etag)).status(); },
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(Head(), 2u);
}

TEST_F(IngestorTest, ConcurrentRecordUpdatesWithTheSameEtagHaveOneWinner) {
  MustCreateResult(kResult);
  const std::string etag = MustCreateRecord(MakeRecord(kRecord)).etag();
  int winners = CountWinners(
      8, [&] { return UpdateRecord(UpdateRecordReq(MakeRecord(kRecord), etag)).status(); },
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(Head(), 3u);
}

TEST_F(IngestorTest, ConcurrentCreatesOfOneResultHaveOneWinner) {
  int winners = CountWinners(
      8, [&] { return CreateResult("p", MakeResult(kResult)).status(); },
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(Head(), 1u);
}

TEST_F(IngestorTest, ConcurrentCreatesOfOneRecordHaveOneWinner) {
  MustCreateResult(kResult);
  int winners = CountWinners(
      8, [&] { return CreateRecord(kResult, MakeRecord(kRecord)).status(); },
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(Head(), 2u);
}

}  // namespace
}  // namespace runledger
