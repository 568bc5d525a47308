// Unit tests of ListResults and ListRecords (src/query/lister.h) in-process over a real Store:
// page sizes, order_by, paging in every order and scope without duplicates or gaps, page-token
// binding and decoding errors, filters, and ordering by summary times that may be missing.
#include "src/query/lister.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/ingest/ingestor.h"
#include "src/projections/store.h"
#include "src/query/page_token.h"
#include "tests/lister_fixture.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace rpc = ::tekton::results::v1alpha2;
using e2e::ExpectedUidOrder;
using e2e::ListRecordsReq;
using e2e::ListResultsReq;
using e2e::MakeRecord;
using e2e::MakeResult;
using e2e::Uids;
using tekton::results::lister::PageToken;

std::function<int(int)> Fixed(int n) {
  return [n](int) { return n; };
}

// True if record `name` is in the ListRecords scope `parent` ("p/results/r" with `-` wildcards).
bool InScope(const std::string& name, const std::string& parent) {
  absl::StatusOr<RecordName> n = ParseRecordName(name);
  absl::StatusOr<ResultName> scope = ParseResultName(parent);
  return n.ok() && scope.ok() && (scope->parent == kWildcard || scope->parent == n->parent) &&
         (scope->result == kWildcard || scope->result == n->result);
}

// --- Paging 137 records in every order and scope. ---

using PagingParam = std::tuple<std::string /*parent*/, std::string /*order_by*/, int /*size*/>;

class ListerPagingTest : public ::testing::TestWithParam<PagingParam> {
 protected:
  // 137 records over five results; one record in three updated afterwards, newest first, so
  // update_time order differs from create_time order and from uid order.
  static void SetUpTestSuite() {
    fixture_ = new ListerFixture();
    records_ = new std::vector<rpc::Record>();
    const std::vector<std::pair<std::string, int>> results = {{"p/results/r", 40},
                                                              {"p/results/s", 30},
                                                              {"q/results/r", 32},
                                                              {"q/results/s", 25},
                                                              {"p/results/r-x", 10}};
    for (const auto& [result, count] : results) {
      fixture_->CreateResult(result);
      for (int i = 0; i < count; ++i) {
        records_->push_back(fixture_->CreateRecord(absl::StrCat(result, "/records/x", i)));
      }
    }
    for (int i = static_cast<int>(records_->size()) - 1; i >= 0; i -= 3) {
      (*records_)[i] = fixture_->TouchRecord((*records_)[i].name());
    }
  }
  static void TearDownTestSuite() {
    delete fixture_;
    delete records_;
  }

  static std::vector<rpc::Record> RecordsIn(const std::string& parent) {
    std::vector<rpc::Record> out;
    for (const rpc::Record& r : *records_) {
      if (InScope(r.name(), parent)) out.push_back(r);
    }
    return out;
  }

  static ListerFixture* fixture_;
  static std::vector<rpc::Record>* records_;
};

ListerFixture* ListerPagingTest::fixture_ = nullptr;
std::vector<rpc::Record>* ListerPagingTest::records_ = nullptr;

TEST_P(ListerPagingTest, ListsEveryRecordOnceInOrder) {
  const auto& [parent, order_by, size] = GetParam();
  const std::vector<rpc::Record> expected = RecordsIn(parent);
  ASSERT_GT(expected.size(), static_cast<size_t>(size));
  absl::StatusOr<Paged<rpc::Record>> paged = fixture_->AllRecords(parent, order_by, Fixed(size));
  ASSERT_TRUE(paged.ok()) << paged.status();
  EXPECT_THAT(Uids(paged->items), ElementsAreArray(ExpectedUidOrder(expected, order_by)));
  // Full pages, then one partial (or full) last page; never an empty trailing page.
  for (size_t i = 0; i + 1 < paged->page_sizes.size(); ++i) EXPECT_EQ(paged->page_sizes[i], size);
  EXPECT_GT(paged->page_sizes.back(), 0);
  EXPECT_LE(paged->page_sizes.back(), size);
}

INSTANTIATE_TEST_SUITE_P(AllScopesOrdersAndSizes, ListerPagingTest,
                         ::testing::Combine(::testing::Values("p/results/r", "p/results/-",
                                                              "-/results/-", "-/results/r"),
                                            ::testing::Values("", "create_time", "create_time asc",
                                                              "create_time desc", "update_time asc",
                                                              "update_time DESC"),
                                            ::testing::Values(5, 7)),
                         [](const ::testing::TestParamInfo<PagingParam>& info) {
                           std::string name =
                               absl::StrCat(std::get<0>(info.param), "_", std::get<1>(info.param),
                                            "_", std::get<2>(info.param));
                           for (char& c : name) {
                             if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST_F(ListerPagingTest, AResultTooLargeToSortInMemoryIsListedFromItsParentsScope) {
  // One result's records are sorted in memory up to a limit; past it the list walks the
  // parent's ordering index and keeps only that result's records, in the same order.
  Lister::Limits limits;
  limits.max_sorted_candidates = 3;
  const Lister lister(&fixture_->store(), limits);
  const std::vector<rpc::Record> expected = RecordsIn("p/results/r");
  for (const std::string order_by : {"", "create_time desc", "update_time asc"}) {
    absl::StatusOr<Paged<rpc::Record>> paged = ListAll<rpc::Record>(
        ListRecordsReq("p/results/r", 0, order_by),
        [&lister](const rpc::ListRecordsRequest& r) { return lister.ListRecords(r); }, Fixed(7));
    ASSERT_TRUE(paged.ok()) << paged.status();
    EXPECT_THAT(Uids(paged->items), ElementsAreArray(ExpectedUidOrder(expected, order_by)))
        << order_by;
  }
}

TEST_F(ListerPagingTest, PageSizeMayChangeBetweenPages) {
  const std::vector<rpc::Record> expected = RecordsIn("-/results/-");
  absl::StatusOr<Paged<rpc::Record>> paged = fixture_->AllRecords(
      "-/results/-", "update_time desc", [](int page) { return page % 2 == 0 ? 5 : 9; });
  ASSERT_TRUE(paged.ok()) << paged.status();
  EXPECT_THAT(Uids(paged->items), ElementsAreArray(ExpectedUidOrder(expected, "update_time desc")));
  EXPECT_EQ(paged->page_sizes[0], 5);
  EXPECT_EQ(paged->page_sizes[1], 9);
}

TEST_F(ListerPagingTest, ZeroPageSizeMeansFifty) {
  absl::StatusOr<rpc::ListRecordsResponse> page =
      fixture_->ListRecords(ListRecordsReq("-/results/-", 0));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records_size(), 50);
  EXPECT_FALSE(page->next_page_token().empty());
}

TEST_F(ListerPagingTest, LastPageHasNoToken) {
  absl::StatusOr<rpc::ListRecordsResponse> page =
      fixture_->ListRecords(ListRecordsReq("-/results/-", 10000));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records_size(), static_cast<int>(records_->size()));
  EXPECT_TRUE(page->next_page_token().empty());
}

TEST_F(ListerPagingTest, AcceptsPageSizesFiveToTenThousand) {
  for (int size : {5, 6, 10000}) {
    EXPECT_TRUE(fixture_->ListRecords(ListRecordsReq("p/results/r", size)).ok()) << size;
  }
}

TEST_F(ListerPagingTest, RejectsPageSizesOutsideFiveToTenThousand) {
  for (int size : {1, 4, -1, 10001}) {
    absl::StatusOr<rpc::ListRecordsResponse> page =
        fixture_->ListRecords(ListRecordsReq("p/results/r", size));
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_EQ(std::string(page.status().message()),
              absl::StrCat("invalid page size (", size,
                           "): value must be greater than 5 and less than 10000"));
    absl::StatusOr<rpc::ListResultsResponse> results =
        fixture_->ListResults(ListResultsReq("p", size));
    EXPECT_EQ(results.status().code(), absl::StatusCode::kInvalidArgument) << size;
  }
}

TEST_F(ListerPagingTest, TrimsParentBeforeBindingTheToken) {
  absl::StatusOr<rpc::ListRecordsResponse> first =
      fixture_->ListRecords(ListRecordsReq(" p/results/r ", 5));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<rpc::ListRecordsResponse> second =
      fixture_->ListRecords(ListRecordsReq("p/results/r", 5, "", first->next_page_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->records_size(), 5);
}

// --- Errors. ---

class ListerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.CreateResult("p/results/r");
    for (int i = 0; i < 12; ++i) fixture_.CreateRecord(absl::StrCat("p/results/r/records/x", i));
  }

  // The token of the first page of p/results/r under `order_by`.
  std::string FirstToken(const std::string& order_by, const std::string& parent = "p/results/r") {
    absl::StatusOr<rpc::ListRecordsResponse> page =
        fixture_.ListRecords(ListRecordsReq(parent, 5, order_by));
    EXPECT_TRUE(page.ok()) << page.status();
    EXPECT_FALSE(page.ok() && page->next_page_token().empty());
    return page.ok() ? page->next_page_token() : "";
  }

  absl::Status ListWith(const std::string& order_by, const std::string& token,
                        const std::string& parent = "p/results/r") {
    return fixture_.ListRecords(ListRecordsReq(parent, 5, order_by, token)).status();
  }

  ListerFixture fixture_;
};

void ExpectInvalidToken(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith("invalid page token: ")) << status;
}

TEST_F(ListerTest, EmptyParentIsParentMissing) {
  for (const std::string parent : {"", "  "}) {
    absl::Status records = fixture_.ListRecords(ListRecordsReq(parent)).status();
    EXPECT_EQ(records.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(records.message()), "parent missing");
    absl::Status results = fixture_.ListResults(ListResultsReq(parent)).status();
    EXPECT_EQ(results.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(results.message()), "parent missing");
  }
}

TEST_F(ListerTest, RecordParentMustBeAResultName) {
  for (const std::string parent : {"unknown", "-", "p/results/r/records/x", "P/results/r"}) {
    absl::Status status = fixture_.ListRecords(ListRecordsReq(parent)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << parent;
    EXPECT_THAT(status.message(), HasSubstr("name must match")) << parent;
  }
}

TEST_F(ListerTest, ResultParentIsNotValidated) {
  absl::StatusOr<rpc::ListResultsResponse> page =
      fixture_.ListResults(ListResultsReq("no such/parent"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->results_size(), 0);
}

TEST_F(ListerTest, UnknownOrderFieldIsInvalidArgument) {
  absl::Status records = ListWith("summary.start_time", "");
  EXPECT_EQ(records.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(records.message()),
            "summary.start_time: field is unknown or cannot be used in the order by clause\n"
            "the value must obey the format <create_time|update_time> [asc|desc]");
  absl::Status results = fixture_.ListResults(ListResultsReq("p", 0, "id")).status();
  EXPECT_EQ(results.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(results.message()), StartsWith("id: field is unknown"));
}

TEST_F(ListerTest, BadOrderGrammarIsInvalidArgument) {
  absl::Status status = ListWith("create_time Asc", "");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("invalid order by statement:\n"));
}

TEST_F(ListerTest, BlankFilterIsNoFilter) {
  rpc::ListRecordsRequest req = ListRecordsReq("p/results/r");
  req.set_filter("   ");
  absl::StatusOr<rpc::ListRecordsResponse> page = fixture_.ListRecords(req);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->records_size(), 12);
}

TEST_F(ListerTest, TokenIsBoundToTheParent) {
  fixture_.CreateResult("p/results/s");
  absl::Status status = ListWith("", FirstToken(""), "p/results/s");
  ExpectInvalidToken(status);
  EXPECT_THAT(status.message(),
              HasSubstr("provided parent (p/results/s) differs from the parent used in the "
                        "previous query (p/results/r)"));
  ExpectInvalidToken(ListWith("", FirstToken(""), "p/results/-"));
}

TEST_F(ListerTest, TokenIsBoundToTheOrderFieldAndDirection) {
  const std::string asc = FirstToken("create_time asc");
  EXPECT_TRUE(ListWith("create_time", asc).ok());
  EXPECT_TRUE(ListWith("create_time ASC", asc).ok());
  ExpectInvalidToken(ListWith("create_time desc", asc));
  ExpectInvalidToken(ListWith("update_time asc", asc));
  ExpectInvalidToken(ListWith("", asc));
}

TEST_F(ListerTest, UnorderedTokenCannotContinueAnOrderedListing) {
  absl::Status status = ListWith("create_time", FirstToken(""));
  ExpectInvalidToken(status);
  EXPECT_THAT(status.message(), HasSubstr("last_item.order_by: missing required field"));
}

TEST_F(ListerTest, TokenIsBoundToTheFilter) {
  PageToken token;
  token.set_parent("p/results/r");
  token.set_filter("data_type == \"T\"");
  token.mutable_last_item()->set_uid("0");
  absl::Status status = ListWith("", EncodePageToken(token));
  ExpectInvalidToken(status);
  EXPECT_THAT(status.message(), HasSubstr("filter"));
}

TEST_F(ListerTest, TokenRequiresTheLastItem) {
  PageToken token;
  token.set_parent("p/results/r");
  absl::Status status = ListWith("", EncodePageToken(token));
  ExpectInvalidToken(status);
  EXPECT_THAT(status.message(), HasSubstr("last_item: missing required field"));
  token.mutable_last_item();
  ExpectInvalidToken(ListWith("", EncodePageToken(token)));
}

TEST_F(ListerTest, GarbageTokenIsInvalidArgument) {
  EXPECT_EQ(ListWith("", "!!!!").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListWith("", "a").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ListerTest, Base64OfNonProtobufTokenIsInternal) {
  EXPECT_EQ(ListWith("", absl::WebSafeBase64Escape("\xff\xff\xff\xff")).code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(fixture_.ListResults(ListResultsReq("p", 5, "", absl::WebSafeBase64Escape("\xff\xff")))
                .status()
                .code(),
            absl::StatusCode::kInternal);
}

TEST_F(ListerTest, PagingContinuesAfterTheLastItemIsDeleted) {
  for (const std::string order_by : {"", "create_time asc", "create_time desc"}) {
    SCOPED_TRACE(order_by);
    absl::StatusOr<rpc::ListRecordsResponse> all =
        fixture_.ListRecords(ListRecordsReq("p/results/r", 100, order_by));
    ASSERT_TRUE(all.ok()) << all.status();
    absl::StatusOr<rpc::ListRecordsResponse> first =
        fixture_.ListRecords(ListRecordsReq("p/results/r", 5, order_by));
    ASSERT_TRUE(first.ok()) << first.status();
    const std::string deleted = first->records(4).name();
    rpc::DeleteRecordRequest del;
    del.set_name(deleted);
    ASSERT_TRUE(fixture_.ingestor().DeleteRecord(del, "test").ok());

    absl::StatusOr<rpc::ListRecordsResponse> second =
        fixture_.ListRecords(ListRecordsReq("p/results/r", 5, order_by, first->next_page_token()));
    ASSERT_TRUE(second.ok()) << second.status();
    ASSERT_EQ(second->records_size(), 5);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(second->records(i).uid(), all->records(5 + i).uid());
    fixture_.CreateRecord(deleted);  // restore the dozen for the next order
  }
}

// --- Results, ordered by times that may be missing, and scoped by parent. ---

class ListResultsTest : public ::testing::Test {
 protected:
  // Results with summary start/end times; some have no summary, some share a time.
  void SetUp() override {
    const std::vector<std::pair<std::string, int64_t>> specs = {
        {"p/results/a", 300}, {"p/results/b", 0},   {"p/results/c", 100}, {"p/results/d", 200},
        {"p/results/e", 0},   {"p/results/f", 100}, {"q/results/g", 50},  {"p/results/h", 0}};
    for (const auto& [name, start] : specs) {
      rpc::Result body;
      if (start != 0) {
        body.mutable_summary()->set_record(name + "/records/x");
        body.mutable_summary()->set_type("T");
        body.mutable_summary()->mutable_start_time()->set_seconds(start);
        body.mutable_summary()->mutable_end_time()->set_seconds(1000 - start);
      }
      results_.push_back(fixture_.CreateResult(name, body));
    }
  }

  // The uids of results in `parent` ("-" for all) sorted by (time, uid) with missing times
  // last, reversed when descending: the order SQL gives NULLs.
  std::vector<std::string> Expected(const std::string& parent, bool end_time, bool desc) {
    std::vector<std::tuple<bool, int64_t, std::string>> keys;
    for (const rpc::Result& r : results_) {
      if (parent != "-" && !absl::StartsWith(r.name(), parent + "/")) continue;
      const auto& ts = end_time ? r.summary().end_time() : r.summary().start_time();
      const bool missing = end_time ? !r.summary().has_end_time() : !r.summary().has_start_time();
      keys.emplace_back(missing, missing ? 0 : TimestampToNanos(ts), r.uid());
    }
    std::sort(keys.begin(), keys.end());
    if (desc) std::reverse(keys.begin(), keys.end());
    std::vector<std::string> uids;
    for (const auto& k : keys) uids.push_back(std::get<2>(k));
    return uids;
  }

  ListerFixture fixture_;
  std::vector<rpc::Result> results_;
};

TEST_F(ListResultsTest, MissingStartTimesSortLastAscendingAndFirstDescending) {
  for (const std::string parent : {"p", "-"}) {
    for (int size : {5, 6}) {
      SCOPED_TRACE(absl::StrCat(parent, " ", size));
      absl::StatusOr<Paged<rpc::Result>> asc =
          fixture_.AllResults(parent, "summary.start_time asc", Fixed(size));
      ASSERT_TRUE(asc.ok()) << asc.status();
      EXPECT_THAT(Uids(asc->items), ElementsAreArray(Expected(parent, false, false)));
      absl::StatusOr<Paged<rpc::Result>> desc =
          fixture_.AllResults(parent, "summary.start_time desc", Fixed(size));
      ASSERT_TRUE(desc.ok()) << desc.status();
      EXPECT_THAT(Uids(desc->items), ElementsAreArray(Expected(parent, false, true)));
    }
  }
}

TEST_F(ListResultsTest, OrdersBySummaryEndTime) {
  for (const std::string order : {"summary.end_time", "summary.end_time desc"}) {
    absl::StatusOr<Paged<rpc::Result>> paged = fixture_.AllResults("-", order, Fixed(5));
    ASSERT_TRUE(paged.ok()) << paged.status();
    EXPECT_THAT(Uids(paged->items),
                ElementsAreArray(Expected("-", true, absl::EndsWith(order, "desc"))))
        << order;
  }
}

TEST_F(ListResultsTest, PagesInEveryTimeOrderAndByUid) {
  for (const std::string order :
       {"", "create_time", "create_time desc", "update_time asc", "update_time desc"}) {
    absl::StatusOr<Paged<rpc::Result>> paged = fixture_.AllResults("-", order, Fixed(5));
    ASSERT_TRUE(paged.ok()) << paged.status();
    EXPECT_THAT(Uids(paged->items), ElementsAreArray(ExpectedUidOrder(results_, order))) << order;
  }
}

TEST_F(ListResultsTest, ParentScopesTheListing) {
  absl::StatusOr<rpc::ListResultsResponse> q = fixture_.ListResults(ListResultsReq("q"));
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->results_size(), 1);
  EXPECT_EQ(q->results(0).name(), "q/results/g");
  absl::StatusOr<rpc::ListResultsResponse> all = fixture_.ListResults(ListResultsReq(" - "));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->results_size(), static_cast<int>(results_.size()));
}

TEST_F(ListResultsTest, ListedResultsEqualTheStoredOnes) {
  absl::StatusOr<rpc::ListResultsResponse> page =
      fixture_.ListResults(ListResultsReq("q", 5, "create_time"));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->results_size(), 1);
  EXPECT_TRUE(e2e::ProtoEq(results_[6], page->results(0)));
}

// --- Ties: equal times are ordered by uid, in the direction of the order. ---

TEST(ListerTiesTest, EqualTimesAreOrderedByUidInTheListingDirection) {
  ListerFixture fixture;
  fixture.CreateResult("p/results/r");
  // Records appended directly to the log, so that several share a create_time.
  std::vector<v1::Event> events;
  std::vector<rpc::Record> records;
  for (int i = 0; i < 13; ++i) {
    rpc::Record record = MakeRecord(absl::StrCat("p/results/r/records/x", i));
    record.set_uid(absl::StrCat("uid-", (i * 7) % 13 + 10));
    *record.mutable_create_time() = NanosToTimestamp(1'000'000'000 * (i % 3));
    *record.mutable_update_time() = NanosToTimestamp(5);
    records.push_back(record);
    v1::Event& event = events.emplace_back();
    event.set_kind(v1::RECORD_CREATED);
    event.set_name(record.name());
    *event.mutable_record() = record;
  }
  ASSERT_TRUE(fixture.store().log().Append(&events).ok());
  for (const std::string order :
       {"create_time asc", "create_time desc", "update_time", "update_time desc"}) {
    absl::StatusOr<Paged<rpc::Record>> paged = fixture.AllRecords("p/results/-", order, Fixed(5));
    ASSERT_TRUE(paged.ok()) << paged.status();
    EXPECT_THAT(Uids(paged->items), ElementsAreArray(ExpectedUidOrder(records, order))) << order;
  }
}

}  // namespace
}  // namespace runledger
