// Unit tests of the History reads (src/query/history_reader.h) in-process over a real Store
// written through the Ingestor: every state an entity went through, as returned by each write,
// comes back from ListEvents and from the as-of reads at every sequence number; the JSON Patches
// rebuild the data; paging, ranges, the change feed by parent, and the errors.
#include "src/query/history_reader.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/ingest/ingestor.h"
#include "src/log/database.h"
#include "src/projections/store.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace rpc = ::tekton::results::v1alpha2;
using e2e::MakeData;
using e2e::MakeRecord;
using e2e::ProtoEq;
using e2e::UpdateRecordReq;
using e2e::UpdateResultReq;

constexpr char kSource[] = "api:history-test";
constexpr char kResult[] = "p/results/r";
constexpr char kRecord[] = "p/results/r/records/x";

MATCHER_P2(StatusIs, code, substring, "") {
  return arg.code() == code && absl::StrContains(arg.message(), substring);
}

// What an entity looked like after one write: the state the write returned (none for a
// deletion) and the sequence number of its event.
template <typename Entity>
struct Version {
  uint64_t sequence;
  std::optional<Entity> state;
};

class HistoryReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }

  void OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ingestor_ = std::make_unique<Ingestor>(&store_->log(), &store_->reader());
    reader_ = std::make_unique<HistoryReader>(&store_->log());
  }

  uint64_t Head() { return store_->log().LastSequence(); }

  rpc::Result CreateResult(const std::string& name) {
    rpc::CreateResultRequest req;
    req.set_parent(name.substr(0, name.find('/')));
    req.mutable_result()->set_name(name);
    absl::StatusOr<rpc::Result> created = ingestor_->CreateResult(req, kSource);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(rpc::Result());
  }
  rpc::Result AnnotateResult(const std::string& name, const std::string& value) {
    rpc::Result body;
    (*body.mutable_annotations())["k"] = value;
    absl::StatusOr<rpc::Result> updated =
        ingestor_->UpdateResult(UpdateResultReq(name, body), kSource);
    EXPECT_TRUE(updated.ok()) << updated.status();
    return updated.value_or(rpc::Result());
  }
  rpc::Record CreateRecord(const std::string& name, const std::string& json) {
    rpc::CreateRecordRequest req;
    req.set_parent(name.substr(0, name.find("/records/")));
    *req.mutable_record() = MakeRecord(name, "TaskRun", json);
    absl::StatusOr<rpc::Record> created = ingestor_->CreateRecord(req, kSource);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(rpc::Record());
  }
  rpc::Record UpdateRecord(const std::string& name, const std::string& json) {
    absl::StatusOr<rpc::Record> updated =
        ingestor_->UpdateRecord(UpdateRecordReq(MakeRecord(name, "TaskRun", json)), kSource);
    EXPECT_TRUE(updated.ok()) << updated.status();
    return updated.value_or(rpc::Record());
  }
  void DeleteRecord(const std::string& name) {
    rpc::DeleteRecordRequest req;
    req.set_name(name);
    EXPECT_TRUE(ingestor_->DeleteRecord(req, kSource).ok());
  }
  void DeleteResult(const std::string& name) {
    rpc::DeleteResultRequest req;
    req.set_name(name);
    EXPECT_TRUE(ingestor_->DeleteResult(req, kSource).ok());
  }

  // Record kRecord: created, updated `updates` times (data gains, changes and loses fields),
  // deleted. Returns every version in order.
  std::vector<Version<rpc::Record>> RecordLifetime(int updates) {
    CreateResult(kResult);
    std::vector<Version<rpc::Record>> versions;
    versions.push_back({0, CreateRecord(kRecord, R"({"metadata":{"name":"x"},"n":0})")});
    versions.back().sequence = Head();
    for (int i = 1; i <= updates; ++i) {
      nlohmann::json data = {{"metadata", {{"name", "x"}}}, {"n", i}};
      if (i % 2 == 0) data["status"] = {{"step", i}, {"list", std::vector<int>(i % 5, i)}};
      if (i % 3 == 0) data.erase("metadata");
      versions.push_back({0, UpdateRecord(kRecord, data.dump())});
      versions.back().sequence = Head();
    }
    DeleteRecord(kRecord);
    versions.push_back({Head(), std::nullopt});
    return versions;
  }

  // Every page of ListEvents for `request`, following the tokens.
  std::vector<v1::HistoryEvent> ListAllEvents(v1::ListEventsRequest request) {
    std::vector<v1::HistoryEvent> events;
    for (int page = 0; page < 1000; ++page) {
      absl::StatusOr<v1::ListEventsResponse> response = reader_->ListEvents(request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      events.insert(events.end(), response->events().begin(), response->events().end());
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    return events;
  }
  std::vector<v1::Event> ListAllChanges(v1::ListChangesRequest request) {
    std::vector<v1::Event> events;
    for (int page = 0; page < 1000; ++page) {
      absl::StatusOr<v1::ListChangesResponse> response = reader_->ListChanges(request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      events.insert(events.end(), response->events().begin(), response->events().end());
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    return events;
  }

  e2e::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<HistoryReader> reader_;
};

v1::ListEventsRequest EventsOf(const std::string& name, int page_size = 0) {
  v1::ListEventsRequest request;
  request.set_name(name);
  request.set_page_size(page_size);
  return request;
}

v1::GetAtRequest AtSequence(const std::string& name, uint64_t sequence) {
  v1::GetAtRequest request;
  request.set_name(name);
  request.set_sequence(sequence);
  return request;
}

std::vector<uint64_t> Sequences(const std::vector<v1::Event>& events) {
  std::vector<uint64_t> sequences;
  for (const v1::Event& event : events) sequences.push_back(event.sequence());
  return sequences;
}

TEST_F(HistoryReaderTest, ListEventsReproducesEveryStateAsEachWriteReturnedIt) {
  const std::vector<Version<rpc::Record>> versions = RecordLifetime(12);
  const std::vector<v1::HistoryEvent> events = ListAllEvents(EventsOf(kRecord, 5));
  ASSERT_EQ(events.size(), versions.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Event& event = events[i].event();
    EXPECT_EQ(event.sequence(), versions[i].sequence);
    EXPECT_EQ(event.source(), kSource);
    EXPECT_EQ(event.name(), kRecord);
    if (versions[i].state.has_value()) {
      EXPECT_EQ(event.kind(), i == 0 ? v1::RECORD_CREATED : v1::RECORD_UPDATED);
      EXPECT_TRUE(ProtoEq(*versions[i].state, event.record())) << "version " << i;
    } else {
      EXPECT_EQ(event.kind(), v1::RECORD_DELETED);
      EXPECT_FALSE(event.has_record());
    }
  }
  EXPECT_THAT(events[0].changed_fields(),
              ElementsAre("name", "id", "uid", "data", "etag", "created_time", "create_time",
                          "updated_time", "update_time"));
  EXPECT_THAT(events[1].changed_fields(),
              ElementsAre("data", "etag", "updated_time", "update_time"));
  EXPECT_EQ(events.back().changed_fields_size(), 9);  // everything goes
}

TEST_F(HistoryReaderTest, DataPatchesAppliedInOrderRebuildEveryData) {
  const std::vector<Version<rpc::Record>> versions = RecordLifetime(15);
  const std::vector<v1::HistoryEvent> events = ListAllEvents(EventsOf(kRecord, 7));
  ASSERT_EQ(events.size(), versions.size());
  nlohmann::json data;  // null before the creation
  for (size_t i = 0; i < events.size(); ++i) {
    data = data.patch(nlohmann::json::parse(events[i].data_patch()));
    const nlohmann::json expected = versions[i].state.has_value()
                                        ? nlohmann::json::parse(versions[i].state->data().value())
                                        : nlohmann::json();
    EXPECT_EQ(data, expected) << "after event " << i;
  }
  EXPECT_TRUE(data.is_null());
}

TEST_F(HistoryReaderTest, AsOfEverySequenceNumberIsTheStateThen) {
  const std::vector<Version<rpc::Record>> versions = RecordLifetime(6);
  AnnotateResult(kResult, "later");  // an event about something else
  for (uint64_t at = 0; at <= Head() + 1; ++at) {
    absl::StatusOr<v1::RecordAt> got = reader_->GetRecordAt(AtSequence(kRecord, at));
    if (at < versions.front().sequence) {
      EXPECT_THAT(got.status(), StatusIs(absl::StatusCode::kNotFound, "did not exist yet"));
      continue;
    }
    size_t last = 0;  // the last version at or before `at`
    while (last + 1 < versions.size() && versions[last + 1].sequence <= at) ++last;
    ASSERT_TRUE(got.ok()) << "at " << at << ": " << got.status();
    EXPECT_EQ(got->sequence(), versions[last].sequence);
    EXPECT_EQ(got->deleted(), !versions[last].state.has_value());
    const rpc::Record& expected =
        versions[last].state.has_value() ? *versions[last].state : *versions[last - 1].state;
    EXPECT_TRUE(ProtoEq(expected, got->record())) << "at " << at;

    // The same point by time: the time of the event that made the state.
    v1::GetAtRequest by_time;
    by_time.set_name(kRecord);
    *by_time.mutable_time() = got->time();
    absl::StatusOr<v1::RecordAt> timed = reader_->GetRecordAt(by_time);
    ASSERT_TRUE(timed.ok()) << timed.status();
    EXPECT_EQ(timed->sequence(), got->sequence());
  }
}

TEST_F(HistoryReaderTest, GetResultAtSeesADeletedResultAndItsRecreation) {
  const rpc::Result created = CreateResult(kResult);
  const rpc::Result annotated = AnnotateResult(kResult, "v1");
  const uint64_t annotated_at = Head();
  CreateRecord(kRecord, "{}");
  DeleteResult(kResult);
  const uint64_t deleted_at = Head();
  const rpc::Result again = CreateResult(kResult);

  absl::StatusOr<v1::ResultAt> at = reader_->GetResultAt(AtSequence(kResult, deleted_at));
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_TRUE(at->deleted());
  EXPECT_EQ(at->sequence(), deleted_at);
  EXPECT_TRUE(ProtoEq(annotated, at->result()));
  at = reader_->GetResultAt(AtSequence(kResult, annotated_at));
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_FALSE(at->deleted());
  EXPECT_TRUE(ProtoEq(annotated, at->result()));
  at = reader_->GetResultAt(AtSequence(kResult, Head()));
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_TRUE(ProtoEq(again, at->result()));

  // The record was deleted with its result: as of then, deleted with its last state.
  absl::StatusOr<v1::RecordAt> record = reader_->GetRecordAt(AtSequence(kRecord, Head()));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(record->deleted());
  EXPECT_EQ(record->record().name(), kRecord);
  EXPECT_NE(created.uid(), again.uid());
}

TEST_F(HistoryReaderTest, ResultHistoryCanIncludeItsRecordsInSequenceOrder) {
  CreateResult(kResult);
  CreateRecord("p/results/r/records/a", "{}");
  CreateResult("p/results/r2");  // a neighbour whose name extends the result's
  CreateRecord("p/results/r2/records/a", "{}");
  CreateRecord("p/results/r/records/b", "{}");
  UpdateRecord("p/results/r/records/a", R"({"x":1})");
  AnnotateResult(kResult, "v");
  DeleteResult(kResult);

  std::vector<std::string> described;
  v1::ListEventsRequest request = EventsOf(kResult, 5);
  request.set_include_records(true);
  for (const v1::HistoryEvent& e : ListAllEvents(request)) {
    described.push_back(absl::StrCat(v1::EventKind_Name(e.event().kind()), " ", e.event().name()));
  }
  ASSERT_EQ(described.size(), 8u);
  EXPECT_THAT(std::vector<std::string>(described.begin(), described.begin() + 5),
              ElementsAre("RESULT_CREATED p/results/r", "RECORD_CREATED p/results/r/records/a",
                          "RECORD_CREATED p/results/r/records/b",
                          "RECORD_UPDATED p/results/r/records/a", "RESULT_UPDATED p/results/r"));
  // DeleteResult deletes the records (in no particular order), then the result.
  EXPECT_THAT(std::vector<std::string>(described.begin() + 5, described.begin() + 7),
              UnorderedElementsAre("RECORD_DELETED p/results/r/records/a",
                                   "RECORD_DELETED p/results/r/records/b"));
  EXPECT_EQ(described[7], "RESULT_DELETED p/results/r");
  const std::vector<v1::HistoryEvent> own = ListAllEvents(EventsOf(kResult));
  ASSERT_EQ(own.size(), 3u);
  EXPECT_THAT(own[1].changed_fields(),
              ElementsAre("annotations", "updated_time", "update_time", "etag"));
  EXPECT_EQ(own[1].data_patch(), "");
}

TEST_F(HistoryReaderTest, RangesBoundTheEventsBySequenceAndTime) {
  const std::vector<Version<rpc::Record>> versions = RecordLifetime(8);
  v1::ListEventsRequest request = EventsOf(kRecord);
  request.set_min_sequence(versions[2].sequence);
  request.set_max_sequence(versions[5].sequence);
  std::vector<v1::HistoryEvent> events = ListAllEvents(request);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].event().sequence(), versions[2].sequence);
  // The first event of a range still shows what it changed from the state before it.
  EXPECT_THAT(events[0].changed_fields(), ::testing::Contains("data"));

  request = EventsOf(kRecord);
  *request.mutable_start_time() = versions[3].state->update_time();
  *request.mutable_end_time() = versions[6].state->update_time();
  events = ListAllEvents(request);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event().sequence(), versions[3].sequence);
  EXPECT_EQ(events[2].event().sequence(), versions[5].sequence);

  request.set_min_sequence(Head() + 1);  // nothing there yet: an empty page, not NotFound
  absl::StatusOr<v1::ListEventsResponse> empty = reader_->ListEvents(request);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->events(), IsEmpty());
  EXPECT_EQ(empty->next_page_token(), "");
}

TEST_F(HistoryReaderTest, PagesHaveThePageSizeAndTokensEndOnTheLastPage) {
  RecordLifetime(98);  // 100 events
  absl::StatusOr<v1::ListEventsResponse> first = reader_->ListEvents(EventsOf(kRecord));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->events_size(), 50);  // the default
  v1::ListEventsRequest next = EventsOf(kRecord, 50);
  next.set_page_token(first->next_page_token());
  absl::StatusOr<v1::ListEventsResponse> second = reader_->ListEvents(next);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->events_size(), 50);
  EXPECT_EQ(second->next_page_token(), "");
  EXPECT_EQ(second->events(0).event().sequence(), first->events(49).event().sequence() + 1);
}

TEST_F(HistoryReaderTest, BadRequestsAreInvalidArgumentNamingTheField) {
  RecordLifetime(6);
  auto list_status = [this](const v1::ListEventsRequest& request) {
    return reader_->ListEvents(request).status();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(list_status(EventsOf("p/results")), StatusIs(kInvalid, "name:"));
  EXPECT_THAT(list_status(EventsOf("")), StatusIs(kInvalid, "name:"));
  v1::ListEventsRequest request = EventsOf(kRecord);
  request.set_include_records(true);
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "include_records:"));
  EXPECT_THAT(list_status(EventsOf(kRecord, 4)), StatusIs(kInvalid, "page_size:"));
  EXPECT_THAT(list_status(EventsOf(kRecord, 10001)), StatusIs(kInvalid, "page_size:"));
  EXPECT_THAT(list_status(EventsOf(kRecord, -1)), StatusIs(kInvalid, "page_size:"));
  request = EventsOf(kRecord);
  request.set_page_token("not a token!");
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "page_token:"));
  request.set_page_token("AAAA");
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "page_token:"));

  // A token continues only its own request: page_size may change, nothing else.
  absl::StatusOr<v1::ListEventsResponse> page = reader_->ListEvents(EventsOf(kRecord, 5));
  ASSERT_TRUE(page.ok()) << page.status();
  request = EventsOf(kRecord, 6);
  request.set_page_token(page->next_page_token());
  EXPECT_TRUE(reader_->ListEvents(request).ok());
  request.set_max_sequence(100);
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "page_token:"));
  request = EventsOf(kResult);
  request.set_page_token(page->next_page_token());
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "page_token:"));
  v1::ListChangesRequest changes;
  changes.set_parent("p");
  changes.set_page_token(page->next_page_token());
  EXPECT_THAT(reader_->ListChanges(changes).status(), StatusIs(kInvalid, "page_token:"));

  request = EventsOf(kRecord);
  request.set_min_sequence(5);
  request.set_max_sequence(4);
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "max_sequence:"));
  request = EventsOf(kRecord);
  request.mutable_start_time()->set_seconds(100);
  request.mutable_end_time()->set_seconds(100);
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "end_time:"));
  request = EventsOf(kRecord);
  request.mutable_start_time()->set_nanos(-1);
  EXPECT_THAT(list_status(request), StatusIs(kInvalid, "start_time:"));

  v1::GetAtRequest at;
  at.set_name(kRecord);
  EXPECT_THAT(reader_->GetRecordAt(at).status(), StatusIs(kInvalid, "at:"));
  EXPECT_THAT(reader_->GetResultAt(AtSequence(kRecord, 1)).status(), StatusIs(kInvalid, "name:"));
  EXPECT_THAT(reader_->GetRecordAt(AtSequence(kResult, 1)).status(), StatusIs(kInvalid, "name:"));
  changes = v1::ListChangesRequest();
  EXPECT_THAT(reader_->ListChanges(changes).status(), StatusIs(kInvalid, "parent:"));
  changes.set_parent("p/results/r");
  EXPECT_THAT(reader_->ListChanges(changes).status(), StatusIs(kInvalid, "parent:"));
}

TEST_F(HistoryReaderTest, AnEntityWithNoHistoryIsNotFound) {
  RecordLifetime(1);
  const auto kNotFound = absl::StatusCode::kNotFound;
  EXPECT_THAT(reader_->ListEvents(EventsOf("p/results/r/records/never")).status(),
              StatusIs(kNotFound, "has no history"));
  EXPECT_THAT(reader_->ListEvents(EventsOf("q/results/r")).status(),
              StatusIs(kNotFound, "has no history"));
  EXPECT_THAT(reader_->GetResultAt(AtSequence("q/results/r", Head())).status(),
              StatusIs(kNotFound, "has no history"));
}

TEST_F(HistoryReaderTest, ListChangesOfAParentIsTheLogFilteredByParent) {
  for (int i = 0; i < 4; ++i) {
    for (const std::string parent : {"a", "b"}) {
      const std::string result = absl::StrCat(parent, "/results/r", i);
      CreateResult(result);
      CreateRecord(absl::StrCat(result, "/records/x"), R"({"i":1})");
      AnnotateResult(result, "v");
    }
  }
  DeleteResult("a/results/r0");
  absl::StatusOr<std::vector<v1::Event>> log = store_->log().Read(1, 1000);
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<v1::Event> of_a;
  for (const v1::Event& event : *log) {
    if (event.name().rfind("a/", 0) == 0) of_a.push_back(event);
  }

  v1::ListChangesRequest request;
  request.set_parent("a");
  request.set_page_size(5);
  std::vector<v1::Event> changes = ListAllChanges(request);
  ASSERT_EQ(changes.size(), of_a.size());
  for (size_t i = 0; i < changes.size(); ++i) EXPECT_TRUE(ProtoEq(of_a[i], changes[i]));

  request.set_parent("-");
  EXPECT_EQ(Sequences(ListAllChanges(request)), Sequences(*log));
  request.set_min_sequence(3);
  request.set_max_sequence(9);
  EXPECT_THAT(Sequences(ListAllChanges(request)), ElementsAre(3, 4, 5, 6, 7, 8, 9));
  request.set_parent("nobody");
  EXPECT_THAT(ListAllChanges(request), IsEmpty());
}

TEST_F(HistoryReaderTest, ALogWrittenBeforeTheChangesIndexIsIndexedWhenOpened) {
  RecordLifetime(3);
  CreateResult("q/results/r");
  const uint64_t head = Head();
  // Make the store look like one written before the changes index existed.
  Database& db = store_->database();
  ASSERT_TRUE(
      db.db()->DeleteRange(rocksdb::WriteOptions(), db.family(kChangesFamily), "", "\xff").ok());
  ASSERT_TRUE(
      db.db()->Delete(rocksdb::WriteOptions(), db.family(kMetaFamily), "changes-indexed").ok());
  reader_.reset();
  ingestor_.reset();
  store_.reset();
  OpenStore();

  v1::ListChangesRequest request;
  request.set_parent("p");
  std::vector<uint64_t> expected;
  for (uint64_t s = 1; s < head; ++s) expected.push_back(s);
  EXPECT_EQ(Sequences(ListAllChanges(request)), expected);
  request.set_parent("q");
  EXPECT_THAT(Sequences(ListAllChanges(request)), ElementsAre(head));
}

TEST_F(HistoryReaderTest, ReadChangesStopsAtTheEventCountAndByteLimits) {
  RecordLifetime(10);
  absl::StatusOr<std::vector<v1::Event>> events = reader_->ReadChanges("p", 2, Head(), 3, 1 << 20);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(Sequences(*events), ElementsAre(2, 3, 4));
  events = reader_->ReadChanges("-", 2, Head(), 100, 1);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(Sequences(*events), ElementsAre(2));
  events = reader_->ReadChanges("-", 5, 4, 100, 1 << 20);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, IsEmpty());
}

}  // namespace
}  // namespace runledger
