// ListResults and ListRecords with CEL filters (src/query/filter.h, filter_plan.h), in-process
// over a real Store: every filtered listing, in every scope and order and paged in small pages,
// equals a brute-force evaluation of the filter over the unfiltered listing, whether the filter
// index serves it or not; index postings follow updates and deletes; compile errors carry
// upstream's texts; run-time errors make a record not match without failing the request.
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/query/filter.h"
#include "tests/lister_fixture.h"

namespace runledger {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kPipelineRun[] = "tekton.dev/v1.PipelineRun";
constexpr char kTaskRun[] = "tekton.dev/v1.TaskRun";
constexpr int kRecords = 240;

std::string RecordJson(int i) {
  std::string children;
  for (int c = 0; c < i % 6; ++c) {
    absl::StrAppend(&children, c ? "," : "", R"({"kind":"TaskRun","name":"child-)", c, R"("})");
  }
  const std::string labels =
      i % 7 == 0 ? "{}" : absl::StrFormat(R"({"tekton.dev/pipeline":"p%d"})", i % 5);
  return absl::StrFormat(
      R"({"kind":"%s","metadata":{"name":"p%d-run-%d","namespace":"ns%d","labels":%s},)"
      R"("spec":{"timeout":"%s"},"status":{"conditions":[{"type":"Succeeded","reason":"%s"}],)"
      R"("childReferences":[%s],"startTime":"2024-01-01T00:00:00Z",)"
      R"("completionTime":"2024-01-01T00:%02d:00Z"}})",
      i % 4 == 0 ? "PipelineRun" : "TaskRun", i % 5, i, (i / 4) % 3, labels,
      i % 2 ? "1h0m0s" : "30m", i % 3 == 0 ? "Failed" : "Succeeded", children, i % 60);
}

std::string ResultOf(int i) { return absl::StrFormat("ns%d/results/r%d", (i / 4) % 3, i / 4); }

// One store for the whole suite: 60 results of 4 records each over 3 parents.
class FilteredListingTest
    : public ::testing::TestWithParam<std::tuple<std::string, std::string, std::string>> {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ListerFixture();
    for (int i = 0; i < kRecords; ++i) {
      if (i % 4 == 0) fixture_->CreateResult(ResultOf(i));
      fixture_->CreateRecord(absl::StrCat(ResultOf(i), "/records/rec", i),
                             i % 4 == 0 ? kPipelineRun : kTaskRun, RecordJson(i));
    }
  }
  static void TearDownTestSuite() { delete fixture_; }

  static std::vector<std::string> Names(const std::vector<rpc::Record>& records) {
    std::vector<std::string> names;
    for (const rpc::Record& r : records) names.push_back(r.name());
    return names;
  }

  static ListerFixture* fixture_;
};
ListerFixture* FilteredListingTest::fixture_ = nullptr;

TEST_P(FilteredListingTest, EqualsBruteForceOverTheUnfilteredListing) {
  const auto& [filter, parent, order_by] = GetParam();
  absl::StatusOr<Paged<rpc::Record>> all =
      fixture_->AllRecords(parent, order_by, [](int) { return 50; });
  ASSERT_TRUE(all.ok()) << all.status();
  absl::StatusOr<std::unique_ptr<const Filter>> compiled =
      Filter::Compile(filter, FilterTarget::kRecords);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  std::vector<rpc::Record> expected;
  for (const rpc::Record& r : all->items) {
    if ((*compiled)->Matches(r)) expected.push_back(r);
  }

  rpc::ListRecordsRequest request = ListRecordsReq(parent, 0, order_by);
  request.set_filter(filter);
  absl::StatusOr<Paged<rpc::Record>> filtered = ListAll<rpc::Record>(
      request, [](const rpc::ListRecordsRequest& r) { return fixture_->ListRecords(r); },
      [](int page) { return 5 + page % 3; });
  ASSERT_TRUE(filtered.ok()) << filtered.status();
  EXPECT_EQ(Names(filtered->items), Names(expected));

  absl::StatusOr<Paged<rpc::Record>> scanned = ListAll<rpc::Record>(
      request, [](const rpc::ListRecordsRequest& r) { return fixture_->ListRecordsByLogScan(r); },
      [](int page) { return 5 + page % 3; });
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(Names(scanned->items), Names(expected)) << "by log scan";
}

INSTANTIATE_TEST_SUITE_P(
    FiltersScopesOrders, FilteredListingTest,
    ::testing::Combine(
        ::testing::Values("data.metadata.labels['tekton.dev/pipeline'] == 'p1'",
                          "data.status.conditions[0].reason == 'Failed'",
                          "data_type == PIPELINE_RUN", "data.metadata.name.startsWith('p2-run-1')",
                          "data.metadata.namespace in ['ns0', 'ns2'] && "
                          "data.spec.timeout == '1h0m0s'",
                          "data.spec.timeout == '1h0m0s' && size(data.status.childReferences) > 3",
                          "data.kind == 'PipelineRun' || name.endsWith('7')",
                          "data.status.completionTime - data.status.startTime > duration('30m')",
                          "data_type == TASK_RUN && "
                          "data.metadata.labels['tekton.dev/pipeline'] in ['p3', 'p4']",
                          "result_name == 'r5' || !has(data.metadata.labels.x)"),
        ::testing::Values("-/results/-", "ns1/results/-", "-/results/r5", "ns2/results/r5"),
        ::testing::Values("", "create_time desc", "update_time", "create_time")));

TEST_F(FilteredListingTest, LabelFilterFindsExactlyTheLabelledRecords) {
  rpc::ListRecordsRequest request = ListRecordsReq("-/results/-", 1000);
  request.set_filter("data.metadata.labels['tekton.dev/pipeline'] == 'p1'");
  absl::StatusOr<rpc::ListRecordsResponse> page = fixture_->ListRecords(request);
  ASSERT_TRUE(page.ok()) << page.status();
  std::set<std::string> expected;
  for (int i = 0; i < kRecords; ++i) {
    if (i % 5 == 1 && i % 7 != 0) expected.insert(absl::StrCat(ResultOf(i), "/records/rec", i));
  }
  std::set<std::string> got;
  for (const rpc::Record& r : page->records()) got.insert(r.name());
  EXPECT_EQ(got, expected);
}

// --- Index postings follow every change. ---

class FilterIndexFreshnessTest : public ::testing::Test {
 protected:
  // The names the filter index lists; the same filter, hidden from the planner and answered by
  // a log scan, must list the same.
  std::vector<std::string> List(const std::string& filter) {
    std::vector<std::string> indexed = Names(fixture_.ListRecords(Request(filter)));
    EXPECT_EQ(Names(fixture_.ListRecordsByLogScan(Request("(" + filter + ") || false"))), indexed)
        << filter;
    return indexed;
  }

  static rpc::ListRecordsRequest Request(const std::string& filter) {
    rpc::ListRecordsRequest request = ListRecordsReq("-/results/-", 100);
    request.set_filter(filter);
    return request;
  }

  static std::vector<std::string> Names(const absl::StatusOr<rpc::ListRecordsResponse>& page) {
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const rpc::Record& r : page->records()) names.push_back(r.name());
    }
    return names;
  }

  ListerFixture fixture_;
};

TEST_F(FilterIndexFreshnessTest, UpdatesMoveARecordBetweenPostingsAndDeletesRemoveIt) {
  fixture_.CreateResult("ns/results/r");
  const std::string name = "ns/results/r/records/a";
  fixture_.CreateRecord(name, kTaskRun, R"({"metadata":{"labels":{"tekton.dev/pipeline":"x"}}})");
  const std::string is_x = "data.metadata.labels['tekton.dev/pipeline'] == 'x'";
  const std::string is_y = "data.metadata.labels['tekton.dev/pipeline'] == 'y'";
  EXPECT_THAT(List(is_x), ::testing::ElementsAre(name));
  EXPECT_THAT(List(is_y), IsEmpty());

  fixture_.TouchRecord(name, kTaskRun, R"({"metadata":{"labels":{"tekton.dev/pipeline":"y"}}})");
  EXPECT_THAT(List(is_x), IsEmpty());
  EXPECT_THAT(List(is_y), ::testing::ElementsAre(name));

  rpc::DeleteRecordRequest del;
  del.set_name(name);
  ASSERT_TRUE(fixture_.ingestor().DeleteRecord(del, "test").ok());
  EXPECT_THAT(List(is_y), IsEmpty());
}

// --- Errors. ---

class FilterErrorTest : public ::testing::Test {
 protected:
  absl::Status ListRecords(const std::string& filter) {
    rpc::ListRecordsRequest request = ListRecordsReq("-/results/-");
    request.set_filter(filter);
    return fixture_.ListRecords(request).status();
  }
  absl::Status ListResults(const std::string& filter) {
    rpc::ListResultsRequest request = ListResultsReq("-");
    request.set_filter(filter);
    return fixture_.ListResults(request).status();
  }

  ListerFixture fixture_;
};

TEST_F(FilterErrorTest, SyntaxErrorsNameThePosition) {
  absl::Status s = ListRecords("data_type == ");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("error compiling CEL filters: 1:"));
  s = ListRecords("name == 'a' &&\n  (data_type");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("error compiling CEL filters: 2:"));
}

TEST_F(FilterErrorTest, UnknownNamesAndFieldsAreInvalidArgument) {
  absl::Status s = ListResults("name == 'x'");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("undeclared reference to 'name'"));
  s = ListResults("summary.foo == 1");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("undefined field 'foo'"));
  s = ListRecords("uid == 'x'");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("undeclared reference to 'uid'"));
}

TEST_F(FilterErrorTest, NonBooleanFiltersAreInvalidArgument) {
  absl::Status s = ListResults("parent");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "expected boolean expression, but got string");
  EXPECT_EQ(ListRecords("1 + 2").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FilterErrorTest, RunTimeErrorsMakeARecordNotMatch) {
  fixture_.CreateResult("ns/results/r");
  fixture_.CreateRecord("ns/results/r/records/a", kTaskRun, R"({"metadata":{"name":"a"}})");
  fixture_.CreateRecord("ns/results/r/records/b", kTaskRun, R"({"metadata":{"name":5}})");
  for (const char* filter : {"data.status.conditions[0].reason == 'x'", "data.metadata.name > 5",
                             "data.metadata.name.startsWith('a')", "int(data.metadata.name) > 1"}) {
    rpc::ListRecordsRequest request = ListRecordsReq("-/results/-");
    request.set_filter(filter);
    absl::StatusOr<rpc::ListRecordsResponse> page = fixture_.ListRecords(request);
    ASSERT_TRUE(page.ok()) << filter << ": " << page.status();
    EXPECT_LE(page->records_size(), 1) << filter;
  }
}

TEST_F(FilterErrorTest, ACancelledRequestStopsItsScan) {
  fixture_.CreateResult("ns/results/r");
  fixture_.CreateRecord("ns/results/r/records/a", kTaskRun, R"({"metadata":{"name":"a"}})");
  rpc::ListRecordsRequest request = ListRecordsReq("-/results/-");
  request.set_filter("data.metadata.name == 'b'");
  EXPECT_EQ(fixture_.ListRecordsByLogScan(request, [] { return true; }).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(fixture_.ListRecords(request).status().code(), absl::StatusCode::kOk);
}

// --- Results. ---

TEST(ResultTimeRangeTest, BoundedTimeFiltersPageLikeBruteForceInEveryOrder) {
  ListerFixture fixture;
  std::vector<rpc::Result> results;
  for (int i = 0; i < 30; ++i) {
    results.push_back(fixture.CreateResult(absl::StrFormat("p/results/r%02d", i)));
  }
  auto time = [&](int i) {
    return absl::FormatTime(absl::RFC3339_full,
                            absl::FromUnixNanos(e2e::UnixNanos(results[i].create_time())),
                            absl::UTCTimeZone());
  };
  for (const std::string& filter : {absl::StrCat("create_time >= timestamp('", time(5),
                                                 "') && create_time < timestamp('", time(20), "')"),
                                    absl::StrCat("timestamp('", time(12), "') < update_time"),
                                    absl::StrCat("create_time <= timestamp('", time(3), "')")}) {
    absl::StatusOr<std::unique_ptr<const Filter>> compiled =
        Filter::Compile(filter, FilterTarget::kResults);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    for (const char* order : {"", "create_time", "create_time desc", "update_time desc"}) {
      absl::StatusOr<Paged<rpc::Result>> all =
          fixture.AllResults("p", order, [](int) { return 100; });
      ASSERT_TRUE(all.ok()) << all.status();
      std::vector<std::string> expected;
      for (const rpc::Result& r : all->items) {
        if ((*compiled)->Matches(r)) expected.push_back(r.name());
      }
      rpc::ListResultsRequest request = ListResultsReq("p", 0, order);
      request.set_filter(filter);
      absl::StatusOr<Paged<rpc::Result>> paged = ListAll<rpc::Result>(
          request, [&](const rpc::ListResultsRequest& r) { return fixture.ListResults(r); },
          [](int) { return 5; });
      ASSERT_TRUE(paged.ok()) << paged.status();
      std::vector<std::string> got;
      for (const rpc::Result& r : paged->items) got.push_back(r.name());
      EXPECT_EQ(got, expected) << filter << " / " << order;
      EXPECT_FALSE(expected.empty()) << filter;
    }
  }
}

TEST(ResultFilterTest, EveryVariableOfTheResultsEnvironment) {
  ListerFixture fixture;
  rpc::Result body;
  (*body.mutable_annotations())["repo"] = "tektoncd/results";
  body.mutable_summary()->set_record("foo/results/a/records/a");
  body.mutable_summary()->set_status(rpc::RecordSummary::SUCCESS);
  body.mutable_summary()->set_type(kPipelineRun);
  *body.mutable_summary()->mutable_start_time() = e2e::MakeTimestamp(1700000000);
  (*body.mutable_summary()->mutable_annotations())["branch"] = "main";
  const rpc::Result a = fixture.CreateResult("foo/results/a", body);
  const rpc::Result b = fixture.CreateResult("bar/results/b");
  auto matches = [&](const std::string& filter) {
    rpc::ListResultsRequest request = ListResultsReq("-");
    request.set_filter(filter);
    absl::StatusOr<rpc::ListResultsResponse> page = fixture.ListResults(request);
    EXPECT_TRUE(page.ok()) << filter << ": " << page.status();
    std::set<std::string> names;
    if (page.ok()) {
      for (const rpc::Result& r : page->results()) names.insert(r.name());
    }
    return names;
  };
  using Names = std::set<std::string>;
  EXPECT_EQ(matches("parent.endsWith('oo')"), Names{a.name()});
  EXPECT_EQ(matches(absl::StrCat("uid == '", b.uid(), "'")), Names{b.name()});
  EXPECT_EQ(matches("annotations['repo'] == 'tektoncd/results'"), Names{a.name()});
  EXPECT_EQ(matches("'tektoncd/results' == annotations['repo']"), Names{a.name()});
  EXPECT_EQ(matches("summary.status == SUCCESS"), Names{a.name()});
  EXPECT_EQ(matches("summary.status == CANCELLED || summary.status == UNKNOWN"), Names{b.name()});
  EXPECT_EQ(matches("summary.type == PIPELINE_RUN"), Names{a.name()});
  EXPECT_EQ(matches("summary.start_time > timestamp('2023-01-01T00:00:00Z')"), Names{a.name()});
  // CEL, unlike upstream's SQL, makes a missing map key an error, so b (no annotations) does
  // not match the negation; has() says what upstream's containment test meant.
  EXPECT_EQ(matches("!(summary.annotations['branch'] == 'main')"), Names{});
  EXPECT_EQ(matches("!has(summary.annotations.branch) || summary.annotations.branch != 'main'"),
            Names{b.name()});
  EXPECT_EQ(
      matches("create_time <= update_time && create_time > timestamp('2020-01-01T00:00:00Z')"),
      (Names{a.name(), b.name()}));
}

}  // namespace
}  // namespace runledger
