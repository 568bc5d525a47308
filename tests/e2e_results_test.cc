// End-to-end tests of the Result RPCs against a real `runledger serve` process: upstream's
// results_test.go behaviours (spec/api.md §6.1) with a real clock, plus UpdateResult's replace
// semantics, listing (page sizes, order_by, pagination in every order, wildcard parent) and page
// token binding (§3).
#include <string>
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

class E2eResultsTest : public E2eTest {};

rpc::RecordSummary MakeSummary(const std::string& record, const std::string& type) {
  rpc::RecordSummary summary;
  summary.set_record(record);
  summary.set_type(type);
  return summary;
}

TEST_F(E2eResultsTest, CreateResultSetsServerFieldsAndGetReturnsIt) {
  const std::string parent = UniqueParent();
  Reply<rpc::Result> created =
      client().CreateResult(parent, MakeResult(ResultName(parent, "bar"), {{"foo", "bar"}}));
  ASSERT_OK(created);
  EXPECT_EQ(created.value.name(), ResultName(parent, "bar"));
  EXPECT_EQ(created.value.annotations().at("foo"), "bar");
  EXPECT_TRUE(HasServerFields(created.value));
  EXPECT_TRUE(ProtoEq(created.value.create_time(), created.value.update_time()));

  Reply<rpc::Result> got = client().GetResult(ResultName(parent, "bar"));
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(created.value, got.value));
}

TEST_F(E2eResultsTest, CreateResultIgnoresClientSuppliedServerFields) {
  const std::string parent = UniqueParent();
  rpc::Result result = MakeResult(ResultName(parent, "bar"));
  result.set_uid("client-uid");
  result.set_etag("client-etag");
  *result.mutable_create_time() = MakeTimestamp(1000);
  *result.mutable_update_time() = MakeTimestamp(2000);
  Reply<rpc::Result> created = client().CreateResult(parent, result);
  ASSERT_OK(created);
  EXPECT_NE(created.value.uid(), "client-uid");
  EXPECT_TRUE(HasServerFields(created.value));
  EXPECT_GT(created.value.create_time().seconds(), 1600000000);  // the server's clock
}

TEST_F(E2eResultsTest, CreateResultRejectsBadRequests) {
  const std::string parent = UniqueParent();
  const std::string name = ResultName(parent, "bar");
  EXPECT_CODE(client().CreateResult(parent, MakeResult(ResultName("baz", "bar"))),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().CreateResult(parent, rpc::Result()), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(
      client().CreateResult(parent, MakeResult(parent + "/results/" + std::string(256, 'a'))),
      StatusCode::INVALID_ARGUMENT);

  rpc::Result long_type = MakeResult(name);
  *long_type.mutable_summary() = MakeSummary(RecordName(name, "baz"), std::string(1024, 'a'));
  EXPECT_CODE(client().CreateResult(parent, long_type), StatusCode::INVALID_ARGUMENT);
  rpc::Result no_type = MakeResult(name);
  *no_type.mutable_summary() = MakeSummary(RecordName(name, "baz"), "");
  EXPECT_CODE(client().CreateResult(parent, no_type), StatusCode::INVALID_ARGUMENT);
  rpc::Result bad_record = MakeResult(name);
  *bad_record.mutable_summary() = MakeSummary(name, "PipelineRun");  // a result name
  EXPECT_CODE(client().CreateResult(parent, bad_record), StatusCode::INVALID_ARGUMENT);

  // None of the rejected requests created anything.
  EXPECT_CODE(client().GetResult(name), StatusCode::NOT_FOUND);
}

TEST_F(E2eResultsTest, CreateResultAcceptsSummaryTypeOf768Bytes) {
  const std::string parent = UniqueParent();
  const std::string name = ResultName(parent, "bar");
  rpc::Result result = MakeResult(name);
  // The summary record does not have to belong to this result.
  *result.mutable_summary() = MakeSummary("other/results/x/records/y", std::string(768, 't'));
  Reply<rpc::Result> created = client().CreateResult(parent, result);
  ASSERT_OK(created);
  EXPECT_TRUE(ProtoEq(result.summary(), created.value.summary()));
}

TEST_F(E2eResultsTest, CreateResultTwiceIsAlreadyExists) {
  const std::string parent = UniqueParent();
  rpc::Result first = MustCreateResult(client(), ResultName(parent, "bar"), {{"foo", "bar"}});
  EXPECT_CODE(client().CreateResult(parent, MakeResult(ResultName(parent, "bar"))),
              StatusCode::ALREADY_EXISTS);
  Reply<rpc::Result> got = client().GetResult(ResultName(parent, "bar"));
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(first, got.value));
}

TEST_F(E2eResultsTest, UpdateResultReplacesAnnotationsAndSummary) {
  const std::string name = ResultName(UniqueParent(), "bar-1");
  rpc::Result created = MustCreateResult(client(), name, {{"old", "value"}});
  rpc::Result body = MakeResult(name, {{"foo", "bar"}});
  *body.mutable_summary() = MakeSummary(RecordName(name, "baz"), "bar");

  Reply<rpc::Result> updated = client().UpdateResult(UpdateResultReq(name, body, created.etag()));
  ASSERT_OK(updated);
  rpc::Result expected = created;
  expected.mutable_annotations()->clear();
  (*expected.mutable_annotations())["foo"] = "bar";
  *expected.mutable_summary() = body.summary();
  EXPECT_TRUE(ProtoEq(WithoutUpdateStamp(expected), WithoutUpdateStamp(updated.value)));
  EXPECT_TRUE(HasServerFields(updated.value));
  EXPECT_TRUE(TimestampLess(created.update_time(), updated.value.update_time()));
  EXPECT_NE(updated.value.etag(), created.etag());

  Reply<rpc::Result> got = client().GetResult(name);
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(updated.value, got.value));
}

TEST_F(E2eResultsTest, UpdateResultWithoutResultClearsAnnotationsAndSummary) {
  const std::string name = ResultName(UniqueParent(), "bar");
  rpc::Result with_summary = MakeResult(name, {{"foo", "bar"}});
  *with_summary.mutable_summary() = MakeSummary(RecordName(name, "baz"), "bar");
  Reply<rpc::Result> created = client().CreateResult(ParentOf(name), with_summary);
  ASSERT_OK(created);

  Reply<rpc::Result> updated = client().UpdateResult(UpdateResultReq(name, std::nullopt));
  ASSERT_OK(updated);
  EXPECT_TRUE(updated.value.annotations().empty());
  EXPECT_FALSE(updated.value.has_summary());
  EXPECT_EQ(updated.value.uid(), created.value.uid());
  EXPECT_TRUE(ProtoEq(created.value.create_time(), updated.value.create_time()));
  EXPECT_TRUE(HasServerFields(updated.value));
  Reply<rpc::Result> got = client().GetResult(name);
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(updated.value, got.value));
}

TEST_F(E2eResultsTest, UpdateResultIgnoresTheBodyName) {
  const std::string parent = UniqueParent();
  rpc::Result a = MustCreateResult(client(), ResultName(parent, "a"));
  rpc::Result b = MustCreateResult(client(), ResultName(parent, "b"));
  rpc::Result body = MakeResult(b.name(), {{"set", "on-a"}});
  Reply<rpc::Result> updated = client().UpdateResult(UpdateResultReq(a.name(), body));
  ASSERT_OK(updated);
  EXPECT_EQ(updated.value.name(), a.name());
  EXPECT_EQ(updated.value.uid(), a.uid());
  EXPECT_EQ(updated.value.annotations().at("set"), "on-a");
  Reply<rpc::Result> got_b = client().GetResult(b.name());
  ASSERT_OK(got_b);
  EXPECT_TRUE(ProtoEq(b, got_b.value));
}

TEST_F(E2eResultsTest, UpdateResultChecksTheEtag) {
  const std::string name = ResultName(UniqueParent(), "bar");
  rpc::Result v0 = MustCreateResult(client(), name);
  EXPECT_CODE(client().UpdateResult(UpdateResultReq(name, MakeResult(name), "invalid etag")),
              StatusCode::FAILED_PRECONDITION);

  Reply<rpc::Result> v1 = client().UpdateResult(UpdateResultReq(name, MakeResult(name), v0.etag()));
  ASSERT_OK(v1);
  // The etag of the previous version no longer matches.
  EXPECT_CODE(
      client().UpdateResult(UpdateResultReq(name, MakeResult(name, {{"x", "y"}}), v0.etag())),
      StatusCode::FAILED_PRECONDITION);
  Reply<rpc::Result> got = client().GetResult(name);
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(v1.value, got.value));

  EXPECT_OK(client().UpdateResult(UpdateResultReq(name, MakeResult(name), v1.value.etag())));
  // An empty etag is no precondition.
  EXPECT_OK(client().UpdateResult(UpdateResultReq(name, MakeResult(name), "")));
}

TEST_F(E2eResultsTest, UpdateResultRejectsBadRequests) {
  const std::string parent = UniqueParent();
  const std::string name = ResultName(parent, "bar");
  rpc::Result created = MustCreateResult(client(), name, {{"keep", "me"}});

  EXPECT_CODE(client().UpdateResult(UpdateResultReq("invalid name", MakeResult(name))),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().UpdateResult(
                  UpdateResultReq(ResultName(parent, "bar-non-existent"), MakeResult(name))),
              StatusCode::NOT_FOUND);
  rpc::Result empty_summary = MakeResult(name);
  empty_summary.mutable_summary();
  EXPECT_CODE(client().UpdateResult(UpdateResultReq(name, empty_summary)),
              StatusCode::INVALID_ARGUMENT);

  // Nothing changed, and updates never create.
  Reply<rpc::Result> got = client().GetResult(name);
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(created, got.value));
  EXPECT_CODE(client().GetResult(ResultName(parent, "bar-non-existent")), StatusCode::NOT_FOUND);
}

TEST_F(E2eResultsTest, GetResult) {
  const std::string name = ResultName(UniqueParent(), "bar");
  rpc::Result created = MustCreateResult(client(), name);
  Reply<rpc::Result> got = client().GetResult(name);
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(created, got.value));
  EXPECT_CODE(client().GetResult(""), StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().GetResult("a/results/doesnotexist"), StatusCode::NOT_FOUND);
}

TEST_F(E2eResultsTest, DeleteResult) {
  const std::string name = ResultName(UniqueParent(), "bar");
  rpc::Result created = MustCreateResult(client(), name);
  EXPECT_OK(client().DeleteResult(name));
  EXPECT_CODE(client().GetResult(name), StatusCode::NOT_FOUND);
  EXPECT_CODE(client().DeleteResult(name), StatusCode::NOT_FOUND);

  // The name can be used again; it is a new result.
  rpc::Result again = MustCreateResult(client(), name);
  EXPECT_NE(again.uid(), created.uid());
}

TEST_F(E2eResultsTest, DeleteResultDeletesItsRecords) {
  const std::string name = ResultName(UniqueParent(), "bar");
  MustCreateResult(client(), name);
  MustCreateRecord(client(), MakeRecord(RecordName(name, "baz")));
  MustCreateRecord(client(), MakeRecord(RecordName(name, "qux")));
  ASSERT_FALSE(HasFailure());

  EXPECT_OK(client().DeleteResult(name));
  EXPECT_CODE(client().GetRecord(RecordName(name, "baz")), StatusCode::NOT_FOUND);
  EXPECT_CODE(client().GetRecord(RecordName(name, "qux")), StatusCode::NOT_FOUND);

  // Re-creating the result does not bring the records back.
  MustCreateResult(client(), name);
  Reply<rpc::ListRecordsResponse> listed = client().ListRecords(ListRecordsReq(name));
  ASSERT_OK(listed);
  EXPECT_EQ(listed.value.records_size(), 0);
  EXPECT_CODE(client().GetRecord(RecordName(name, "baz")), StatusCode::NOT_FOUND);
}

// --- ListResults: one server holding exactly 20 results under parent "foo". ---

class E2eListResultsTest : public E2eTest {
 protected:
  static constexpr int kCount = 20;

  static void SetUpTestSuite() {
    E2eTest::SetUpTestSuite();
    if (!server().running()) return;
    results_ = new std::vector<rpc::Result>();
    for (int i = 0; i < kCount; ++i) results_->push_back(CreateFixtureResult(i));
    // Update every odd result, last one first, so that update_time order differs from
    // create_time order.
    for (int i = kCount - 1; i >= 0; i -= 2) (*results_)[i] = UpdateFixtureResult(i);
  }

  static void TearDownTestSuite() {
    delete results_;
    results_ = nullptr;
    E2eTest::TearDownTestSuite();
  }

  // Summary times are permutations of the creation order, different for start and end.
  static rpc::Result FixtureResult(int i) {
    const std::string name = ResultName("foo", "r" + std::to_string(i));
    rpc::Result result = MakeResult(name, {{"foo", "bar-" + std::to_string(i + 1)}});
    rpc::RecordSummary* summary = result.mutable_summary();
    summary->set_record(RecordName(name, "root"));
    summary->set_type("resource_type");
    *summary->mutable_start_time() = MakeTimestamp(1700000000 + (i * 7) % kCount);
    *summary->mutable_end_time() = MakeTimestamp(1700001000 + (i * 13) % kCount, 5);
    return result;
  }

  static rpc::Result CreateFixtureResult(int i) {
    Reply<rpc::Result> r = client().CreateResult("foo", FixtureResult(i));
    EXPECT_OK(r);
    return r.value;
  }

  static rpc::Result UpdateFixtureResult(int i) {
    const rpc::Result& current = (*results_)[i];
    Reply<rpc::Result> r =
        client().UpdateResult(UpdateResultReq(current.name(), FixtureResult(i), current.etag()));
    EXPECT_OK(r);
    return r.value;
  }

  static const std::vector<rpc::Result>& results() { return *results_; }

  // A token from the first page of size 5 of `parent` listed by `order_by`.
  std::string FirstPageToken(const std::string& parent, const std::string& order_by) {
    Reply<rpc::ListResultsResponse> page =
        client().ListResults(ListResultsReq(parent, 5, order_by));
    EXPECT_OK(page);
    EXPECT_FALSE(page.value.next_page_token().empty());
    return page.value.next_page_token();
  }

  void ExpectAllInUidOrder(const std::string& parent) {
    Reply<rpc::ListResultsResponse> listed = client().ListResults(ListResultsReq(parent));
    ASSERT_OK(listed);
    EXPECT_THAT(Uids(std::vector<rpc::Result>(listed.value.results().begin(),
                                              listed.value.results().end())),
                ElementsAreArray(ExpectedUidOrder(results(), "")));
    EXPECT_EQ(listed.value.next_page_token(), "");
    for (const rpc::Result& r : listed.value.results()) {
      auto stored = std::find_if(results().begin(), results().end(),
                                 [&r](const rpc::Result& s) { return s.uid() == r.uid(); });
      ASSERT_NE(stored, results().end());
      EXPECT_TRUE(ProtoEq(*stored, r));
    }
  }

 private:
  static std::vector<rpc::Result>* results_;
};

std::vector<rpc::Result>* E2eListResultsTest::results_ = nullptr;

TEST_F(E2eListResultsTest, ListsAllResultsOfTheParentByUid) { ExpectAllInUidOrder("foo"); }

TEST_F(E2eListResultsTest, WildcardParentListsAllParents) { ExpectAllInUidOrder("-"); }

TEST_F(E2eListResultsTest, MissingParentIsEmpty) {
  Reply<rpc::ListResultsResponse> listed = client().ListResults(ListResultsReq("foo-doesnotexist"));
  ASSERT_OK(listed);
  EXPECT_EQ(listed.value.results_size(), 0);
  EXPECT_EQ(listed.value.next_page_token(), "");
}

TEST_F(E2eListResultsTest, EmptyParentIsInvalid) {
  EXPECT_CODE(client().ListResults(ListResultsReq("")), StatusCode::INVALID_ARGUMENT);
}

// The filter cases of upstream's TestListResults (spec/api.md §6.1); uids are UUIDs here.
TEST_F(E2eListResultsTest, FiltersSelectWhatUpstreamSelects) {
  auto listed = [](const std::string& filter) {
    Listing<rpc::Result> l = ListAllResults(client(), "foo", "", FixedPageSize(5), 100, filter);
    EXPECT_TRUE(l.status.ok()) << filter << ": " << l.status.error_message();
    return Uids(l.items);
  };
  auto expected = [](const std::function<bool(int)>& keep) {
    std::vector<rpc::Result> kept;
    for (int i = 0; i < kCount; ++i) {
      if (keep(i)) kept.push_back(results()[i]);
    }
    return ExpectedUidOrder(kept, "");
  };
  const std::string uid1 = results()[1].uid();
  const std::string uid10 = results()[10].uid();
  EXPECT_EQ(listed("uid == \"" + uid1 + "\""), expected([](int i) { return i == 1; }));
  EXPECT_EQ(listed("uid == \"" + uid1 + "\" || uid == \"" + uid10 + "\""),
            expected([](int i) { return i == 1 || i == 10; }));
  EXPECT_THAT(listed(R"(uid == "doesnotexist")"), IsEmpty());
  EXPECT_EQ(listed(R"(annotations["foo"].endsWith("-1"))"), expected([](int i) { return i == 0; }));
  // Paged with the filter repeated on every page: the other 18 in uid order.
  EXPECT_EQ(listed(R"(annotations["foo"] != "bar-1" && annotations["foo"] != "bar-2")"),
            expected([](int i) { return i > 1; }));
  for (const char* bad : {"id", R"(unknown_field == "foo")", "parent", "summary.foo == 1"}) {
    rpc::ListResultsRequest req = ListResultsReq("foo");
    req.set_filter(bad);
    Reply<rpc::ListResultsResponse> r = client().ListResults(req);
    EXPECT_CODE(r, StatusCode::INVALID_ARGUMENT) << bad;
  }
}

TEST_F(E2eListResultsTest, PageSizeLimits) {
  for (int size : {-1, 1, 4, 10001}) {
    EXPECT_CODE(client().ListResults(ListResultsReq("foo", size)), StatusCode::INVALID_ARGUMENT)
        << "page_size " << size;
  }
  Reply<rpc::ListResultsResponse> five = client().ListResults(ListResultsReq("foo", 5));
  ASSERT_OK(five);
  EXPECT_EQ(five.value.results_size(), 5);
  EXPECT_NE(five.value.next_page_token(), "");
  for (int size : {0, 10000}) {  // 0 means 50
    Reply<rpc::ListResultsResponse> all = client().ListResults(ListResultsReq("foo", size));
    ASSERT_OK(all);
    EXPECT_EQ(all.value.results_size(), kCount);
    EXPECT_EQ(all.value.next_page_token(), "");
  }
}

TEST_F(E2eListResultsTest, RejectsBadOrderBy) {
  for (const char* order_by :
       {"unknown", "create_time asc foo", "create_time foo", "created_time", "create_time Asc",
        "create_time,update_time", "create_time desc, update_time asc", "summary.status"}) {
    EXPECT_CODE(client().ListResults(ListResultsReq("foo", 0, order_by)),
                StatusCode::INVALID_ARGUMENT)
        << order_by;
  }
}

TEST_F(E2eListResultsTest, PaginatesInEveryOrder) {
  for (const char* order_by :
       {"", "create_time", "create_time asc", "create_time desc", "update_time asc",
        "update_time desc", "summary.start_time asc", "summary.start_time DESC",
        "summary.end_time ASC", "summary.end_time desc"}) {
    Listing<rpc::Result> listing = ListAllResults(client(), "foo", order_by, FixedPageSize(5));
    ASSERT_TRUE(listing.status.ok()) << order_by << ": " << listing.status.error_message();
    EXPECT_THAT(listing.page_sizes, ElementsAreArray({5, 5, 5, 5})) << order_by;
    EXPECT_THAT(Uids(listing.items), ElementsAreArray(ExpectedUidOrder(results(), order_by)))
        << order_by;
  }
}

TEST_F(E2eListResultsTest, PageSizeMayChangeBetweenPages) {
  Listing<rpc::Result> listing = ListAllResults(client(), "-", "update_time desc",
                                                [](int page) { return page % 2 == 0 ? 5 : 6; });
  ASSERT_TRUE(listing.status.ok()) << listing.status.error_message();
  EXPECT_THAT(listing.page_sizes, ElementsAreArray({5, 6, 5, 4}));
  EXPECT_THAT(Uids(listing.items),
              ElementsAreArray(ExpectedUidOrder(results(), "update_time desc")));
}

TEST_F(E2eListResultsTest, TokenIsBoundToParent) {
  const std::string token = FirstPageToken("foo", "");
  EXPECT_CODE(client().ListResults(ListResultsReq("-", 5, "", token)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(client().ListResults(ListResultsReq("bar", 5, "", token)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_OK(client().ListResults(ListResultsReq("foo", 5, "", token)));
}

TEST_F(E2eListResultsTest, TokenIsBoundToOrderBy) {
  const std::string by_create = FirstPageToken("foo", "create_time asc");
  for (const char* other : {"create_time desc", "update_time asc", "summary.end_time asc", ""}) {
    EXPECT_CODE(client().ListResults(ListResultsReq("foo", 5, other, by_create)),
                StatusCode::INVALID_ARGUMENT)
        << other;
  }
  const std::string by_uid = FirstPageToken("foo", "");
  EXPECT_CODE(client().ListResults(ListResultsReq("foo", 5, "create_time asc", by_uid)),
              StatusCode::INVALID_ARGUMENT);
  EXPECT_OK(client().ListResults(ListResultsReq("foo", 5, "create_time asc", by_create)));
  EXPECT_OK(client().ListResults(ListResultsReq("foo", 5, "create_time", by_create)));
}

TEST_F(E2eListResultsTest, GarbageTokenIsInvalid) {
  EXPECT_CODE(client().ListResults(ListResultsReq("foo", 5, "", "tacocat!")),
              StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace runledger::e2e
