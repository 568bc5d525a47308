// End-to-end pagination at scale (spec/api.md §3): about 1,000 records and 100 results, paged
// with small and large (and changing) page sizes in every order and parent scope. Each listing
// must have no duplicate, no gap, the right order (ties broken by uid in the same direction),
// full pages, and an empty next_page_token exactly on the last page.
#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::testing::ElementsAreArray;

constexpr int kResults = 100;           // under parent "p"
constexpr int kResultsWithRecords = 4;  // p/results/r0..r3 hold the records
constexpr int kRecords = 1000;          // spread over those results
constexpr int kOtherRecords = 60;       // under q/results/r0, seen only by "-/results/-"
constexpr int kRecordUpdates = 300;
constexpr int kThreads = 8;
constexpr char kQ[] = "q/results/r0";  // the one result outside parent "p"

const char* const kRecordOrders[] = {"", "create_time asc", "create_time desc", "update_time asc",
                                     "update_time desc"};
const char* const kResultOrders[] = {"",
                                     "create_time asc",
                                     "create_time desc",
                                     "update_time asc",
                                     "update_time desc",
                                     "summary.start_time asc",
                                     "summary.start_time desc",
                                     "summary.end_time asc",
                                     "summary.end_time desc"};

// Runs `fn(i)` for i in [0, n) on kThreads threads.
void ParallelFor(int n, const std::function<void(int)>& fn) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += kThreads) fn(i);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Page sizes must be `size` on every page but the last, which holds the rest (never 0 unless
// the listing is empty).
std::vector<int> ExpectedPageSizes(int total, int size) {
  std::vector<int> sizes(total / size, size);
  if (total % size != 0 || total == 0) sizes.push_back(total % size);
  return sizes;
}

template <typename T>
void ExpectNoDuplicates(const std::vector<T>& items, const std::string& what) {
  std::vector<std::string> uids = Uids(items);
  std::set<std::string> unique(uids.begin(), uids.end());
  EXPECT_EQ(unique.size(), uids.size()) << what << ": duplicates";
}

class E2ePagingTest : public E2eTest {
 protected:
  static void SetUpTestSuite() {
    E2eTest::SetUpTestSuite();
    if (!server().running()) return;
    results_ = new std::vector<rpc::Result>(kResults + 1);  // the last one is kQ
    records_ = new std::vector<rpc::Record>(kRecords + kOtherRecords);
    ParallelFor(kResults + 1, [](int i) { (*results_)[i] = CreateResult(i); });
    ParallelFor(kRecords + kOtherRecords, [](int i) { (*records_)[i] = CreateRecord(i); });
    // Update a random subset so that update_time order differs from create_time order.
    std::vector<int> picks(kRecords + kOtherRecords);
    std::iota(picks.begin(), picks.end(), 0);
    std::shuffle(picks.begin(), picks.end(), std::mt19937(42));
    ParallelFor(kRecordUpdates, [&picks](int i) { UpdateRecord(picks[i]); });
    for (int i = 0; i < kResults; i += 3) (*results_)[i] = UpdateResult(i);
  }

  static void TearDownTestSuite() {
    delete results_;
    delete records_;
    results_ = nullptr;
    records_ = nullptr;
    E2eTest::TearDownTestSuite();
  }

  // Summary times with many ties (10 distinct values), so uid must break them.
  static rpc::Result FixtureResult(int i) {
    const std::string name = i < kResults ? ResultName("p", "r" + std::to_string(i)) : kQ;
    rpc::Result result = MakeResult(name, {{"i", std::to_string(i)}});
    rpc::RecordSummary* summary = result.mutable_summary();
    summary->set_record(RecordName(name, "x0"));
    summary->set_type("PipelineRun");
    *summary->mutable_start_time() = MakeTimestamp(1700000000 + (i * 7) % 10);
    *summary->mutable_end_time() = MakeTimestamp(1700000100, (i * 3) % 10);
    return result;
  }

  static rpc::Result CreateResult(int i) {
    Reply<rpc::Result> r = client().CreateResult(i < kResults ? "p" : "q", FixtureResult(i));
    EXPECT_OK(r);
    return r.value;
  }

  static rpc::Result UpdateResult(int i) {
    Reply<rpc::Result> r = client().UpdateResult(
        UpdateResultReq((*results_)[i].name(), FixtureResult(i), (*results_)[i].etag()));
    EXPECT_OK(r);
    return r.value;
  }

  static std::string RecordResultName(int i) {
    return i < kRecords ? ResultName("p", "r" + std::to_string(i % kResultsWithRecords)) : kQ;
  }

  static rpc::Record CreateRecord(int i) {
    return MustCreateRecord(
        client(), MakeRecord(RecordName(RecordResultName(i), "x" + std::to_string(i)), "TaskRun",
                             "{\"i\":" + std::to_string(i) + "}"));
  }

  static void UpdateRecord(int i) {
    rpc::Record body = MakeRecord((*records_)[i].name(), "TaskRun", "{\"updated\":true}");
    Reply<rpc::Record> r = client().UpdateRecord(UpdateRecordReq(body, (*records_)[i].etag()));
    EXPECT_OK(r);
    (*records_)[i] = r.value;
  }

  static std::vector<rpc::Result> ResultsIn(const std::string& parent) {
    std::vector<rpc::Result> out;
    for (const rpc::Result& r : *results_) {
      if (parent == "-" || ParentOf(r.name()) == parent) out.push_back(r);
    }
    return out;
  }

  static std::vector<rpc::Record> RecordsIn(const std::string& scope) {
    std::vector<rpc::Record> out;
    for (const rpc::Record& r : *records_) {
      if (scope == "-/results/-" || ParentOf(r.name()) == scope ||
          (scope == "p/results/-" && r.name().rfind("p/", 0) == 0)) {
        out.push_back(r);
      }
    }
    return out;
  }

  // Lists `scope` by `order_by` with `page_size(page)` and checks the listing against
  // `expected` (full messages, order, page sizes when `fixed_size` > 0).
  template <typename T, typename ListFn>
  void CheckListing(const ListFn& list_all, const std::vector<T>& expected,
                    const std::string& order_by, const std::string& what, int fixed_size) {
    Listing<T> listing = list_all();
    ASSERT_TRUE(listing.status.ok()) << what << ": " << listing.status.error_message();
    ExpectNoDuplicates(listing.items, what);
    EXPECT_THAT(Uids(listing.items), ElementsAreArray(ExpectedUidOrder(expected, order_by)))
        << what;
    if (fixed_size > 0) {
      EXPECT_THAT(listing.page_sizes, ElementsAreArray(ExpectedPageSizes(
                                          static_cast<int>(expected.size()), fixed_size)))
          << what;
    }
    std::map<std::string, const T*> by_uid;
    for (const T& item : expected) by_uid[item.uid()] = &item;
    for (const T& item : listing.items) {
      auto it = by_uid.find(item.uid());
      ASSERT_NE(it, by_uid.end()) << what << ": unexpected " << item.name();
      EXPECT_TRUE(ProtoEq(*it->second, item)) << what;
    }
  }

  void CheckRecords(const std::string& scope, const std::string& order_by, int size) {
    CheckListing([&] { return ListAllRecords(client(), scope, order_by, FixedPageSize(size)); },
                 RecordsIn(scope), order_by,
                 scope + " | " + order_by + " | " + std::to_string(size), size);
  }

  void CheckResults(const std::string& parent, const std::string& order_by, int size) {
    CheckListing([&] { return ListAllResults(client(), parent, order_by, FixedPageSize(size)); },
                 ResultsIn(parent), order_by,
                 parent + " | " + order_by + " | " + std::to_string(size), size);
  }

  static std::vector<rpc::Result>* results_;
  static std::vector<rpc::Record>* records_;
};

std::vector<rpc::Result>* E2ePagingTest::results_ = nullptr;
std::vector<rpc::Record>* E2ePagingTest::records_ = nullptr;

TEST_F(E2ePagingTest, RecordsInEveryOrderScopeAndPageSize) {
  for (const char* scope : {"p/results/r1", "p/results/-", "-/results/-"}) {
    for (const char* order_by : kRecordOrders) {
      for (int size : {7, 50}) CheckRecords(scope, order_by, size);
    }
  }
}

TEST_F(E2ePagingTest, RecordsWithChangingPageSizes) {
  const PageSizeFn sizes = [](int page) { return std::vector<int>{5, 13, 100, 9}[page % 4]; };
  for (const char* order_by : {"", "update_time desc"}) {
    CheckListing([&] { return ListAllRecords(client(), "-/results/-", order_by, sizes); },
                 RecordsIn("-/results/-"), order_by,
                 std::string("-/results/- | ") + order_by + " | changing", 0);
  }
}

TEST_F(E2ePagingTest, ResultsInEveryOrderAndPageSize) {
  for (const char* parent : {"p", "-"}) {
    for (const char* order_by : kResultOrders) {
      for (int size : {7, 50}) CheckResults(parent, order_by, size);
    }
  }
}

TEST_F(E2ePagingTest, ResultsWithChangingPageSizes) {
  const PageSizeFn sizes = [](int page) { return page % 2 == 0 ? 5 : 11; };
  CheckListing([&] { return ListAllResults(client(), "p", "summary.start_time desc", sizes); },
               ResultsIn("p"), "summary.start_time desc", "p | summary.start_time desc | changing",
               0);
}

}  // namespace
}  // namespace runledger::e2e
