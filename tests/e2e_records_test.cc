// End-to-end tests of the Record RPCs against a real `runledger serve` process: upstream's
// records_test.go behaviours (spec/api.md §6.2), data validation (§2.4), UpdateRecord's merge
// semantics (§2.3), wildcard listing (§3.5), and concurrent updates with one etag (exactly one
// wins).
#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::grpc::StatusCode;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kTaskRunJson[] =
    R"({"apiVersion":"tekton.dev/v1","kind":"TaskRun","metadata":{"name":"tr","namespace":"ns"}})";

class E2eRecordsTest : public E2eTest {
 protected:
  // Creates <unique parent>/results/bar and returns its name.
  std::string NewResult() {
    const std::string name = ResultName(UniqueParent(), "bar");
    MustCreateResult(client(), name);
    return name;
  }
};

TEST_F(E2eRecordsTest, CreateRecordSetsServerFieldsAndGetReturnsIt) {
  const std::string result = NewResult();
  rpc::Record record = MakeRecord(RecordName(result, "baz"), "TaskRun", kTaskRunJson);
  Reply<rpc::Record> created = client().CreateRecord(result, record);
  ASSERT_OK(created);
  EXPECT_EQ(created.value.name(), record.name());
  EXPECT_TRUE(ProtoEq(record.data(), created.value.data()));
  EXPECT_TRUE(HasServerFields(created.value));
  EXPECT_TRUE(ProtoEq(created.value.create_time(), created.value.update_time()));

  Reply<rpc::Record> got = client().GetRecord(record.name());
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(created.value, got.value));
}

TEST_F(E2eRecordsTest, CreateRecordIgnoresClientSuppliedServerFields) {
  const std::string result = NewResult();
  rpc::Record record = MakeRecord(RecordName(result, "baz"));
  record.set_uid("client-uid");
  record.set_etag("client-etag");
  *record.mutable_create_time() = MakeTimestamp(1000);
  Reply<rpc::Record> created = client().CreateRecord(result, record);
  ASSERT_OK(created);
  EXPECT_TRUE(HasServerFields(created.value));
  EXPECT_GT(created.value.create_time().seconds(), 1600000000);
}

TEST_F(E2eRecordsTest, CreateRecordRejectsBadRequests) {
  const std::string result = NewResult();
  const std::string parent = ParentOf(result);
  const rpc::Record valid = MakeRecord(RecordName(result, "baz"));
  EXPECT_CODE(client().CreateRecord(result, MakeRecord(ResultName(parent, "baz"))),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().CreateRecord(result, MakeRecord(result + "/results/")),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().CreateRecord(result, MakeRecord(result)), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().CreateRecord("", valid), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().CreateRecord(ResultName(parent, "other"), valid),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().CreateRecord(result, rpc::Record()), StatusCode::INVALID_ARGUMENT);

  const std::string missing = ResultName(parent, "doesnotexist");
  EXPECT_CODE(client().CreateRecord(missing, MakeRecord(RecordName(missing, "baz"))),
              StatusCode::NOT_FOUND);
  EXPECT_CODE(client().GetRecord(valid.name()), StatusCode::NOT_FOUND);
}

TEST_F(E2eRecordsTest, CreateRecordTwiceIsAlreadyExists) {
  const std::string result = NewResult();
  rpc::Record first = MustCreateRecord(client(), MakeRecord(RecordName(result, "baz")));
  EXPECT_CODE(client().CreateRecord(result, MakeRecord(RecordName(result, "baz"), "Other", "1")),
              StatusCode::ALREADY_EXISTS);
  Reply<rpc::Record> got = client().GetRecord(first.name());
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(first, got.value));
}

TEST_F(E2eRecordsTest, GetRecord) {
  const std::string result = NewResult();
  rpc::Record created = MustCreateRecord(client(), MakeRecord(RecordName(result, "baz")));
  Reply<rpc::Record> got = client().GetRecord(created.name());
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(created, got.value));
  EXPECT_CODE(client().GetRecord(""), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().GetRecord("a/results/doesnotexist"), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().GetRecord(RecordName(result, "doesnotexist")), StatusCode::NOT_FOUND);
}

TEST_F(E2eRecordsTest, DeleteRecord) {
  const std::string result = NewResult();
  rpc::Record created = MustCreateRecord(client(), MakeRecord(RecordName(result, "baz")));
  EXPECT_OK(client().DeleteRecord(created.name()));
  EXPECT_CODE(client().GetRecord(created.name()), StatusCode::NOT_FOUND);
  EXPECT_CODE(client().DeleteRecord(created.name()), StatusCode::NOT_FOUND);
  EXPECT_OK(client().GetResult(result));  // the result stays
}

// --- Data validation (§2.4). ---

TEST_F(E2eRecordsTest, DataTypeIsAtMost768Bytes) {
  const std::string result = NewResult();
  EXPECT_CODE(client().CreateRecord(
                  result, MakeRecord(RecordName(result, "long"), std::string(769, 't'), "{}")),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_OK(client().CreateRecord(
      result, MakeRecord(RecordName(result, "max"), std::string(768, 't'), "{}")));
}

TEST_F(E2eRecordsTest, DataValueMustBeJsonWhenDataIsPresent) {
  const std::string result = NewResult();
  rpc::Record empty_data = MakeRecord(RecordName(result, "a"));
  empty_data.mutable_data()->Clear();  // data: {}
  rpc::Record type_only = MakeRecord(RecordName(result, "b"), "TaskRun", "");
  for (const rpc::Record& record :
       {empty_data, type_only, MakeRecord(RecordName(result, "c"), "T", R"({"a":)"),
        MakeRecord(RecordName(result, "d"), "T", "tacocat"),
        MakeRecord(RecordName(result, "e"), "T", "{} {}")}) {
    EXPECT_CODE(client().CreateRecord(result, record), StatusCode::INVALID_ARGUMENT)
        << record.ShortDebugString();
    EXPECT_CODE(client().GetRecord(record.name()), StatusCode::NOT_FOUND);
  }
}

TEST_F(E2eRecordsTest, JsonScalarsAndAbsentDataAreAccepted) {
  const std::string result = NewResult();
  int i = 0;
  for (const char* json : {"5", "null", R"("text")", "[1,2]", "true"}) {
    rpc::Record record = MakeRecord(RecordName(result, "s" + std::to_string(i++)), "T", json);
    Reply<rpc::Record> created = client().CreateRecord(result, record);
    ASSERT_OK(created) << json;
    EXPECT_EQ(created.value.data().value(), json);
    Reply<rpc::Record> got = client().GetRecord(record.name());
    ASSERT_OK(got);
    EXPECT_TRUE(ProtoEq(created.value, got.value));
  }
  rpc::Record no_data;
  no_data.set_name(RecordName(result, "nodata"));
  ASSERT_OK(client().CreateRecord(result, no_data));
  Reply<rpc::Record> got = client().GetRecord(no_data.name());
  ASSERT_OK(got);
  EXPECT_EQ(got.value.data().type(), "");
  EXPECT_EQ(got.value.data().value(), "");
}

// --- UpdateRecord (§2.3: merge semantics). ---

class E2eUpdateRecordTest : public E2eRecordsTest {
 protected:
  void SetUp() override {
    E2eRecordsTest::SetUp();
    if (HasFatalFailure()) return;
    original_ = MustCreateRecord(
        client(), MakeRecord(RecordName(NewResult(), "baz"), "TaskRun", R"({"v":1})"));
    ASSERT_FALSE(HasFailure());
  }

  // Sends `req`, which must succeed, and checks the response against Get and the original: same
  // identity and create time, later update time, consistent etag.
  rpc::Record UpdateAndCheck(const rpc::UpdateRecordRequest& req) {
    Reply<rpc::Record> updated = client().UpdateRecord(req);
    EXPECT_OK(updated);
    EXPECT_TRUE(HasServerFields(updated.value));
    EXPECT_EQ(updated.value.uid(), original_.uid());
    EXPECT_EQ(updated.value.name(), original_.name());
    EXPECT_TRUE(ProtoEq(original_.create_time(), updated.value.create_time()));
    EXPECT_TRUE(TimestampLess(original_.update_time(), updated.value.update_time()));
    Reply<rpc::Record> got = client().GetRecord(original_.name());
    EXPECT_OK(got);
    EXPECT_TRUE(ProtoEq(updated.value, got.value));
    return updated.value;
  }

  rpc::Record original_;
};

TEST_F(E2eUpdateRecordTest, ValueOnlyKeepsType) {
  rpc::Record body;
  body.set_name(original_.name());
  body.mutable_data()->set_value(R"({"v":2})");
  rpc::Record updated = UpdateAndCheck(UpdateRecordReq(body, original_.etag()));
  EXPECT_EQ(updated.data().type(), "TaskRun");
  EXPECT_EQ(updated.data().value(), R"({"v":2})");
}

TEST_F(E2eUpdateRecordTest, TypeOnlyKeepsValue) {
  rpc::Record body;
  body.set_name(original_.name());
  body.mutable_data()->set_type("PipelineRun");
  rpc::Record updated = UpdateAndCheck(UpdateRecordReq(body));
  EXPECT_EQ(updated.data().type(), "PipelineRun");
  EXPECT_EQ(updated.data().value(), R"({"v":1})");
}

TEST_F(E2eUpdateRecordTest, OmittedDataKeepsData) {
  rpc::Record body;
  body.set_name(original_.name());
  rpc::Record updated = UpdateAndCheck(UpdateRecordReq(body, original_.etag()));
  EXPECT_TRUE(ProtoEq(WithoutUpdateStamp(original_), WithoutUpdateStamp(updated)));
}

TEST_F(E2eUpdateRecordTest, UpdateMaskIsIgnored) {
  rpc::Record body = MakeRecord(original_.name(), "NewType", R"({"v":3})");
  rpc::UpdateRecordRequest req = UpdateRecordReq(body);
  req.mutable_update_mask()->add_paths("data.type");  // value changes anyway
  rpc::Record updated = UpdateAndCheck(req);
  EXPECT_EQ(updated.data().type(), "NewType");
  EXPECT_EQ(updated.data().value(), R"({"v":3})");
}

TEST_F(E2eUpdateRecordTest, IdUidAndEtagInTheBodyAreIgnored) {
  rpc::Record body;
  body.set_name(original_.name());
  body.set_uid("ignored");
  body.set_etag("ignored");
  *body.mutable_create_time() = MakeTimestamp(1000);
  rpc::Record updated = UpdateAndCheck(UpdateRecordReq(body));
  EXPECT_TRUE(ProtoEq(WithoutUpdateStamp(original_), WithoutUpdateStamp(updated)));
}

TEST_F(E2eUpdateRecordTest, ChecksTheEtag) {
  rpc::Record body = MakeRecord(original_.name(), "", R"({"v":4})");  // keeps the type
  EXPECT_CODE(client().UpdateRecord(UpdateRecordReq(body, "invalid etag")),
              StatusCode::FAILED_PRECONDITION);
  rpc::Record v1 = UpdateAndCheck(UpdateRecordReq(body, original_.etag()));
  EXPECT_CODE(client().UpdateRecord(UpdateRecordReq(body, original_.etag())),
              StatusCode::FAILED_PRECONDITION);
  Reply<rpc::Record> got = client().GetRecord(original_.name());
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(v1, got.value));
}

TEST_F(E2eUpdateRecordTest, RejectsBadRequestsWithoutChangingAnything) {
  const std::string missing = RecordName(ParentOf(original_.name()), "doesnotexist");
  EXPECT_CODE(client().UpdateRecord(UpdateRecordReq(MakeRecord(missing))), StatusCode::NOT_FOUND);
  EXPECT_CODE(client().GetRecord(missing), StatusCode::NOT_FOUND);  // no upsert
  EXPECT_CODE(client().UpdateRecord(UpdateRecordReq(MakeRecord("tacocat"))),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().UpdateRecord(UpdateRecordReq(MakeRecord(original_.name(), "T", "{bad"))),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().UpdateRecord(
                  UpdateRecordReq(MakeRecord(original_.name(), std::string(769, 't'), "{}"))),
              StatusCode::INVALID_ARGUMENT);
  Reply<rpc::Record> got = client().GetRecord(original_.name());
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(original_, got.value));
}

// --- Concurrent updates with the same etag: exactly one succeeds. ---

// Runs `update(i)` on `threads` threads released at the same moment; returns the codes.
std::vector<StatusCode> RunConcurrently(int threads, const std::function<StatusCode(int)>& update) {
  std::atomic<int> ready{0};
  std::vector<StatusCode> codes(threads);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      codes[i] = update(i);
    });
  }
  for (std::thread& t : workers) t.join();
  return codes;
}

void ExpectOneWinner(const std::vector<StatusCode>& codes) {
  EXPECT_EQ(std::count(codes.begin(), codes.end(), StatusCode::OK), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), StatusCode::FAILED_PRECONDITION),
            static_cast<long>(codes.size()) - 1);
}

constexpr int kWriters = 8;
constexpr int kRounds = 5;

TEST_F(E2eRecordsTest, ConcurrentUpdateRecordWithOneEtagHasOneWinner) {
  rpc::Record record = MustCreateRecord(client(), MakeRecord(RecordName(NewResult(), "baz")));
  for (int round = 0; round < kRounds; ++round) {
    const std::string etag = record.etag();
    std::vector<rpc::Record> responses(kWriters);
    ExpectOneWinner(RunConcurrently(kWriters, [&](int i) {
      rpc::Record body = MakeRecord(record.name(), "T", "{\"writer\":" + std::to_string(i) + "}");
      Reply<rpc::Record> r = client().UpdateRecord(UpdateRecordReq(body, etag));
      responses[i] = r.value;
      return r.code();
    }));
    Reply<rpc::Record> got = client().GetRecord(record.name());
    ASSERT_OK(got);
    EXPECT_THAT(responses, ::testing::Contains(::testing::Truly(
                               [&](const rpc::Record& r) { return ProtoEq(r, got.value); })));
    record = got.value;
  }
}

TEST_F(E2eRecordsTest, ConcurrentUpdateResultWithOneEtagHasOneWinner) {
  const std::string name = NewResult();
  Reply<rpc::Result> current = client().GetResult(name);
  ASSERT_OK(current);
  for (int round = 0; round < kRounds; ++round) {
    const std::string etag = current.value.etag();
    std::vector<rpc::Result> responses(kWriters);
    ExpectOneWinner(RunConcurrently(kWriters, [&](int i) {
      rpc::Result body = MakeResult(name, {{"writer", std::to_string(i)}});
      Reply<rpc::Result> r = client().UpdateResult(UpdateResultReq(name, body, etag));
      responses[i] = r.value;
      return r.code();
    }));
    current = client().GetResult(name);
    ASSERT_OK(current);
    EXPECT_THAT(responses, ::testing::Contains(::testing::Truly(
                               [&](const rpc::Result& r) { return ProtoEq(r, current.value); })));
  }
}

// --- ListRecords: one server holding `foo/results/bar` with 20 records, and results
// `0/results/0`, `0/results/1`, `1/results/0`, `1/results/1` with records `0` and `1` each. ---

class E2eListRecordsTest : public E2eTest {
 protected:
  static void SetUpTestSuite() {
    E2eTest::SetUpTestSuite();
    if (!server().running()) return;
    records_ = new std::vector<rpc::Record>();
    MustCreateResult(client(), "foo/results/bar");
    for (int i = 0; i < 20; ++i) {
      const std::string json = R"({"metadata":{"name":")" + std::to_string(i) + R"("}})";
      records_->push_back(
          MustCreateRecord(client(), MakeRecord(RecordName("foo/results/bar", std::to_string(i)),
                                                i < 10 ? "TaskRun" : "PipelineRun", json)));
    }
    for (const char* result : {"0/results/0", "0/results/1", "1/results/0", "1/results/1"}) {
      MustCreateResult(client(), result);
      for (const char* id : {"0", "1"}) {
        records_->push_back(MustCreateRecord(client(), MakeRecord(RecordName(result, id))));
      }
    }
  }

  static void TearDownTestSuite() {
    delete records_;
    records_ = nullptr;
    E2eTest::TearDownTestSuite();
  }

  // The fixture records whose name satisfies `keep`.
  static std::vector<rpc::Record> Select(const std::function<bool(const std::string&)>& keep) {
    std::vector<rpc::Record> out;
    for (const rpc::Record& r : *records_) {
      if (keep(r.name())) out.push_back(r);
    }
    return out;
  }

  static bool StartsWith(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
  }

  void ExpectListsByUid(const std::string& parent, const std::vector<rpc::Record>& expected) {
    Reply<rpc::ListRecordsResponse> listed = client().ListRecords(ListRecordsReq(parent));
    ASSERT_OK(listed) << parent;
    std::vector<rpc::Record> got(listed.value.records().begin(), listed.value.records().end());
    EXPECT_THAT(Uids(got), ElementsAreArray(ExpectedUidOrder(expected, ""))) << parent;
    EXPECT_EQ(listed.value.next_page_token(), "") << parent;
  }

  static std::vector<rpc::Record>* records_;
};

std::vector<rpc::Record>* E2eListRecordsTest::records_ = nullptr;

TEST_F(E2eListRecordsTest, ListsOneResultAndWildcards) {
  auto under = [](const std::string& prefix) {
    return [prefix](const std::string& name) { return StartsWith(name, prefix); };
  };
  ExpectListsByUid("foo/results/bar", Select(under("foo/results/bar/records/")));
  ExpectListsByUid("foo/results/-", Select(under("foo/")));
  ExpectListsByUid("0/results/-", Select(under("0/")));
  ExpectListsByUid("0/results/1", Select(under("0/results/1/records/")));
  ExpectListsByUid("-/results/-", *records_);
  ExpectListsByUid("-/results/0", Select([](const std::string& name) {
                     return StartsWith(name, "0/results/0/") || StartsWith(name, "1/results/0/");
                   }));
  ExpectListsByUid("-/results/bar", Select(under("foo/results/bar/")));
}

TEST_F(E2eListRecordsTest, ReturnsTheStoredRecords) {
  Reply<rpc::ListRecordsResponse> listed = client().ListRecords(ListRecordsReq("-/results/-"));
  ASSERT_OK(listed);
  for (const rpc::Record& r : listed.value.records()) {
    auto stored = std::find_if(records_->begin(), records_->end(),
                               [&r](const rpc::Record& s) { return s.uid() == r.uid(); });
    ASSERT_NE(stored, records_->end()) << r.name();
    EXPECT_TRUE(ProtoEq(*stored, r));
  }
}

TEST_F(E2eListRecordsTest, MissingParentsAreEmpty) {
  for (const char* parent : {"foo/results/nope", "nope/results/-", "-/results/nope"}) {
    Reply<rpc::ListRecordsResponse> listed = client().ListRecords(ListRecordsReq(parent));
    ASSERT_OK(listed) << parent;
    EXPECT_EQ(listed.value.records_size(), 0) << parent;
  }
}

TEST_F(E2eListRecordsTest, RejectsBadRequests) {
  for (const char* parent : {"", "unknown", "-", "foo/results/bar/records/0", "Foo/results/bar"}) {
    EXPECT_CODE(client().ListRecords(ListRecordsReq(parent)), StatusCode::INVALID_ARGUMENT)
        << parent;
  }
  for (const char* order_by :
       {"created_time desc asc", "created_time foo", "created_time", "summary.start_time"}) {
    EXPECT_CODE(client().ListRecords(ListRecordsReq("foo/results/bar", 0, order_by)),
                StatusCode::INVALID_ARGUMENT)
        << order_by;
  }
  for (int size : {-1, 1, 4, 10001}) {
    EXPECT_CODE(client().ListRecords(ListRecordsReq("foo/results/bar", size)),
                StatusCode::INVALID_ARGUMENT)
        << size;
  }
  EXPECT_CODE(client().ListRecords(ListRecordsReq("foo/results/bar", 5, "", "tacocat!")),
              StatusCode::INVALID_ARGUMENT);
}

// The filter cases of upstream's TestListRecords (spec/api.md §6.2).
TEST_F(E2eListRecordsTest, FiltersSelectWhatUpstreamSelects) {
  auto listed = [](const std::string& parent, const std::string& filter) {
    Listing<rpc::Record> l = ListAllRecords(client(), parent, "", FixedPageSize(5), 100, filter);
    EXPECT_TRUE(l.status.ok()) << filter << ": " << l.status.error_message();
    return Uids(l.items);
  };
  auto in_bar = [](const std::function<bool(int)>& keep) {
    return ExpectedUidOrder(Select([&](const std::string& name) {
                              const std::string prefix = "foo/results/bar/records/";
                              return StartsWith(name, prefix) &&
                                     keep(std::stoi(name.substr(prefix.size())));
                            }),
                            "");
  };
  EXPECT_EQ(listed("foo/results/bar", R"(name == "0")"), in_bar([](int i) { return i == 0; }));
  EXPECT_EQ(listed("foo/results/bar", R"(data.metadata.name == "0")"),
            in_bar([](int i) { return i == 0; }));
  EXPECT_EQ(listed("foo/results/bar", R"(data_type == "TaskRun")"),
            in_bar([](int i) { return i < 10; }));
  EXPECT_THAT(listed("foo/results/-", R"(data.metadata.name == "unknown")"), IsEmpty());
  for (const char* bad : {"type(record.data) == tekton.pipeline.v1beta1.Unknown",
                          R"(record.data.metadata.unknown == "tacocat")", "data_type",
                          "name ==", "data_type == 1 +"}) {
    rpc::ListRecordsRequest req = ListRecordsReq("foo/results/bar");
    req.set_filter(bad);
    EXPECT_CODE(client().ListRecords(req), StatusCode::INVALID_ARGUMENT) << bad;
  }
}

TEST_F(E2eListRecordsTest, PaginatesInEveryOrder) {
  const std::vector<rpc::Record> bar =
      Select([](const std::string& name) { return StartsWith(name, "foo/results/bar/records/"); });
  for (const char* order_by :
       {"", "create_time asc", "create_time desc", "update_time asc", "update_time desc"}) {
    Listing<rpc::Record> listing =
        ListAllRecords(client(), "foo/results/bar", order_by, FixedPageSize(5));
    ASSERT_TRUE(listing.status.ok()) << order_by << ": " << listing.status.error_message();
    EXPECT_THAT(listing.page_sizes, ElementsAreArray({5, 5, 5, 5})) << order_by;
    EXPECT_THAT(Uids(listing.items), ElementsAreArray(ExpectedUidOrder(bar, order_by))) << order_by;
  }
}

TEST_F(E2eListRecordsTest, TokenIsBoundToParentAndOrder) {
  Reply<rpc::ListRecordsResponse> first =
      client().ListRecords(ListRecordsReq("foo/results/bar", 5, "create_time desc"));
  ASSERT_OK(first);
  const std::string token = first.value.next_page_token();
  ASSERT_NE(token, "");
  EXPECT_CODE(client().ListRecords(ListRecordsReq("foo/results/-", 5, "create_time desc", token)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().ListRecords(ListRecordsReq("foo/results/bar", 5, "create_time", token)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().ListRecords(ListRecordsReq("foo/results/bar", 5, "", token)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_OK(client().ListRecords(ListRecordsReq("foo/results/bar", 7, "create_time desc", token)));
}

}  // namespace
}  // namespace runledger::e2e
