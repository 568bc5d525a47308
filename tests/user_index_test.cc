// User-defined indexes (user_index_projection.h, filter_plan.h ChooseUserIndex, store.h), in
// process over a real Store: an index built over existing data answers every filter exactly as
// a brute-force evaluation of the filter over the unfiltered listing, in every order and with
// small pages, and the planner uses it; postings follow updates and deletes; a live index equals
// the same index rebuilt from the log; a background rebuild serves correct answers throughout
// and swaps generations; dropping an index drops its column family; bad definitions are
// InvalidArgument naming the field.
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/projections/summary_projection.h"
#include "src/query/filter.h"
#include "src/query/index_definition.h"
#include "tests/lister_fixture.h"

namespace runledger {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int kRecords = 240;

std::string RecordJson(int i) {
  const std::string part_of =
      i % 11 == 0 ? "" : absl::StrFormat(R"("app.kubernetes.io/part-of":"app%d")", i % 7);
  const std::string priority = i % 17 == 0 ? R"("high")" : absl::StrCat(i % 13, i % 2 ? ".5" : "");
  return absl::StrFormat(
      R"({"metadata":{"name":"run-%d","labels":{%s},"annotations":{"team":"team-%d"}},)"
      R"("spec":{"serviceAccountName":"sa-%d","priority":%s},)"
      R"("status":{"startTime":"2024-01-01T00:%02d:%02dZ"}})",
      i, part_of, i % 3, i % 5, priority, i % 60, i % 7);
}

std::string ResultOf(int i) { return absl::StrFormat("ns%d/results/r%d", (i / 4) % 3, i / 4); }
std::string RecordOf(int i) { return absl::StrCat(ResultOf(i), "/records/rec", i); }

v1::IndexDefinition Definition(const std::string& name, const std::string& expression) {
  v1::IndexDefinition definition;
  definition.set_name(name);
  definition.set_expression(expression);
  absl::StatusOr<v1::IndexDefinition> checked = CheckIndexDefinition(definition);
  EXPECT_TRUE(checked.ok()) << checked.status();
  return checked.ok() ? *checked : definition;
}

const std::vector<v1::IndexDefinition>& Definitions() {
  static const auto* definitions = new std::vector<v1::IndexDefinition>{
      Definition("part-of", "data.metadata.labels['app.kubernetes.io/part-of']"),
      Definition("sa", "data.spec.serviceAccountName"),
      Definition("priority", "data.spec.priority"),
      Definition("start", "data.status.startTime"),
      Definition("team", "data.metadata.annotations.team"),
  };
  return *definitions;
}

std::vector<std::string> Names(const std::vector<rpc::Record>& records) {
  std::vector<std::string> names;
  for (const rpc::Record& r : records) names.push_back(r.name());
  return names;
}

void Fill(ListerFixture& fixture) {
  for (int i = 0; i < kRecords; ++i) {
    if (i % 4 == 0) fixture.CreateResult(ResultOf(i));
    fixture.CreateRecord(RecordOf(i),
                         i % 4 == 0 ? "tekton.dev/v1.PipelineRun" : "tekton.dev/v1.TaskRun",
                         RecordJson(i));
  }
}

void CreateIndexes(Store& store) {
  for (const v1::IndexDefinition& d : Definitions()) ASSERT_TRUE(store.CreateIndex(d).ok());
}

void AwaitIndexes(Store& store) {
  ASSERT_TRUE(store.AwaitIndexes(store.log().LastSequence(), absl::Seconds(30)));
}

// `filter` listed in pages of 5 to 7 equals the brute-force evaluation of it over the unfiltered
// listing.
void ExpectBruteForce(ListerFixture& fixture, const std::string& filter, const std::string& parent,
                      const std::string& order_by) {
  absl::StatusOr<Paged<rpc::Record>> all =
      fixture.AllRecords(parent, order_by, [](int) { return 50; });
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
      request, [&](const rpc::ListRecordsRequest& r) { return fixture.ListRecords(r); },
      [](int page) { return 5 + page % 3; });
  ASSERT_TRUE(filtered.ok()) << filtered.status();
  EXPECT_EQ(Names(filtered->items), Names(expected))
      << filter << " in " << parent << " by " << order_by;
}

// The filters of the brute-force comparison and the index each must be answered with.
const std::vector<std::pair<std::string, std::string>>& IndexedFilters() {
  static const auto* filters = new std::vector<std::pair<std::string, std::string>>{
      {"data.metadata.labels['app.kubernetes.io/part-of'] == 'app3'", "part-of"},
      {"data.metadata.labels['app.kubernetes.io/part-of'] in ['app1', 'app4', 'none']", "part-of"},
      {"data.metadata.labels['app.kubernetes.io/part-of'].startsWith('app')", "part-of"},
      {"'sa-0' == data.spec.serviceAccountName", "sa"},
      {"data.spec.serviceAccountName >= 'sa-2' && data.spec.serviceAccountName < 'sa-4'", "sa"},
      {"data.spec.serviceAccountName > 'sa-3'", "sa"},
      {"data.spec.priority > 5", "priority"},
      {"data.spec.priority <= 3.5", "priority"},
      {"data.spec.priority == 7.5 || false", ""},  // not a conjunct on the path: no index
      {"data.spec.priority == 7", "priority"},
      {"data.spec.priority < 'z'", "priority"},
      {"timestamp(data.status.startTime) >= timestamp('2024-01-01T00:20:00Z') && "
       "timestamp(data.status.startTime) < timestamp('2024-01-01T00:40:00Z')",
       "start"},
      {"data.status.startTime.startsWith('2024-01-01T00:1')", "start"},
      {"data_type == PIPELINE_RUN && data.metadata.annotations['team'] == 'team-1'", "team"},
  };
  return *filters;
}

class UserIndexListingTest
    : public ::testing::TestWithParam<std::tuple<std::string, std::string, std::string>> {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ListerFixture();
    Fill(*fixture_);
    CreateIndexes(fixture_->store());  // built from the log, over existing data
    AwaitIndexes(fixture_->store());
  }
  static void TearDownTestSuite() { delete fixture_; }
  static ListerFixture* fixture_;
};
ListerFixture* UserIndexListingTest::fixture_ = nullptr;

TEST_P(UserIndexListingTest, EqualsBruteForceOverTheUnfilteredListing) {
  const auto& [filter, parent, order_by] = GetParam();
  ExpectBruteForce(*fixture_, filter, parent, order_by);
}

std::vector<std::string> FilterTexts() {
  std::vector<std::string> texts;
  for (const auto& [filter, index] : IndexedFilters()) texts.push_back(filter);
  return texts;
}

INSTANTIATE_TEST_SUITE_P(
    FiltersScopesOrders, UserIndexListingTest,
    ::testing::Combine(::testing::ValuesIn(FilterTexts()),
                       ::testing::Values("-/results/-", "ns1/results/-", "ns2/results/r5"),
                       ::testing::Values("", "create_time desc", "update_time")));

TEST_F(UserIndexListingTest, ThePlannerChoosesTheIndexOfTheConjunct) {
  for (const auto& [filter, index] : IndexedFilters()) {
    absl::StatusOr<std::unique_ptr<const Filter>> compiled =
        Filter::Compile(filter, FilterTarget::kRecords);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    std::optional<UserIndexChoice> choice =
        ChooseUserIndex((*compiled)->expr(), *fixture_->store().UserIndexes());
    if (index.empty()) {
      EXPECT_FALSE(choice.has_value()) << filter;
    } else {
      ASSERT_TRUE(choice.has_value()) << filter;
      EXPECT_EQ(choice->index, index) << filter;
    }
  }
}

TEST_F(UserIndexListingTest, ReadyIndexServesItsGeneration) {
  Store& store = fixture_->store();
  EXPECT_NE(store.ReadyIndex("sa", store.log().LastSequence(), absl::ZeroDuration()), nullptr);
  EXPECT_EQ(store.ReadyIndex("nope", 0, absl::ZeroDuration()), nullptr);
  EXPECT_THAT(store.database().FamilyNames(), Contains("sa.v1.g1"));
}

// --- Changes, rebuilds and drops, each on a store of its own. ---

class UserIndexLifecycleTest : public ::testing::Test {
 protected:
  std::string Dump() {
    AwaitIndexes(fixture_.store());
    std::ostringstream out;
    EXPECT_TRUE(fixture_.store().DumpProjections(out).ok());
    return out.str();
  }
  ListerFixture fixture_;
};

TEST_F(UserIndexLifecycleTest, PostingsFollowUpdatesAndDeletes) {
  CreateIndexes(fixture_.store());  // before the data: maintained live
  Fill(fixture_);
  for (int i = 0; i < kRecords; i += 9) {
    fixture_.TouchRecord(RecordOf(i), "", RecordJson(i + 1));
  }
  for (int i = 1; i < kRecords; i += 10) {
    rpc::DeleteRecordRequest del;
    del.set_name(RecordOf(i));
    ASSERT_TRUE(fixture_.ingestor().DeleteRecord(del, "test").ok());
  }
  AwaitIndexes(fixture_.store());
  for (const auto& [filter, index] : IndexedFilters()) {
    ExpectBruteForce(fixture_, filter, "-/results/-", "create_time");
  }
}

TEST_F(UserIndexLifecycleTest, LiveIndexesEqualTheSameIndexesRebuiltFromTheLog) {
  CreateIndexes(fixture_.store());
  Fill(fixture_);
  for (int i = 0; i < kRecords; i += 7) fixture_.TouchRecord(RecordOf(i), "", RecordJson(i * 3));
  const std::string live = Dump();
  ASSERT_THAT(live, HasSubstr("\npart-of N"));
  ASSERT_THAT(live, HasSubstr("\nsummary C"));
  ASSERT_TRUE(fixture_.store().Rebuild({"part-of", "summary"}).ok());
  EXPECT_EQ(Dump(), live);
  ASSERT_TRUE(fixture_.store().Rebuild({}).ok());
  EXPECT_EQ(Dump(), live);
}

TEST_F(UserIndexLifecycleTest, BackgroundRebuildServesThroughoutAndSwapsGenerations) {
  Store& store = fixture_.store();
  Fill(fixture_);
  CreateIndexes(store);
  AwaitIndexes(store);
  const std::string before = Dump();
  int summary_cells = 0;
  store.summaries().Read([&](const SummaryCube::View& v) { summary_cells = v.cells().size(); });
  ASSERT_GT(summary_cells, 0);
  for (const std::string name : {"sa", "summary", "filter_index"}) {
    ASSERT_TRUE(store.RebuildInBackground(name).ok());
  }
  // Whether the build is still going (reads do without it) or done, answers are right.
  ExpectBruteForce(fixture_, "data.spec.serviceAccountName == 'sa-3'", "-/results/-", "");
  fixture_.CreateRecord("ns0/results/r0/records/late", "tekton.dev/v1.TaskRun", RecordJson(3));
  ExpectBruteForce(fixture_, "data.spec.serviceAccountName == 'sa-3'", "-/results/-", "");
  AwaitIndexes(store);
  for (const v1::ProjectionStatus& status : store.ProjectionStatuses()) {
    EXPECT_EQ(status.state(), v1::ProjectionStatus::SERVING) << status.name();
    EXPECT_EQ(status.behind(), 0u) << status.name();
  }
  const std::vector<std::string> families = store.database().FamilyNames();
  EXPECT_THAT(families, Contains("sa.v1.g2"));
  EXPECT_THAT(families, Not(Contains("sa.v1.g1")));  // the old generation is dropped
  EXPECT_THAT(families, Contains("part-of.v1.g1"));  // others untouched
  int cells_after = 0;
  store.summaries().Read([&](const SummaryCube::View& v) { cells_after = v.cells().size(); });
  EXPECT_GE(cells_after, summary_cells);  // the readers' cube was reloaded, not emptied
  ASSERT_TRUE(store.Rebuild({}).ok());
  EXPECT_NE(Dump(), before);  // the late record is in
}

TEST_F(UserIndexLifecycleTest, DropFreesTheColumnFamilyAndTheFilterStillAnswers) {
  Store& store = fixture_.store();
  Fill(fixture_);
  ASSERT_TRUE(store.CreateIndex(Definitions()[1]).ok());
  AwaitIndexes(store);
  ASSERT_THAT(store.database().FamilyNames(), Contains("sa.v1.g1"));
  EXPECT_EQ(store.CreateIndex(Definitions()[1]).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store.DropIndex("sa").ok());
  EXPECT_THAT(store.database().FamilyNames(), Not(Contains("sa.v1.g1")));
  EXPECT_TRUE(store.UserIndexes()->empty());
  EXPECT_EQ(store.DropIndex("sa").code(), absl::StatusCode::kNotFound);
  ExpectBruteForce(fixture_, "data.spec.serviceAccountName == 'sa-3'", "-/results/-", "");
}

TEST(IndexDefinitionTest, DerivesTheFieldOfAPath) {
  EXPECT_EQ(Definition("a", "data.metadata.labels['a/b~c']").field(), "/metadata/labels/a~1b~0c");
  EXPECT_EQ(Definition("a", "data.status.conditions[0].reason").field(),
            "/status/conditions/0/reason");
  EXPECT_EQ(Definition("a", "data_type").field(), "data_type");
}

TEST(IndexDefinitionTest, BadDefinitionsAreInvalidArgumentNamingTheField) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"", "data.a", "index.name: required"},
      {"Bad Name", "data.a", "index.name: "},
      {std::string(64, 'a'), "data.a", "index.name: "},
      {"ok", "", "index.expression: required"},
      {"ok", "data.a + 1", "index.expression: "},
      {"ok", "size(data)", "index.expression: "},
      {"ok", "data", "index.expression: "},
      {"ok", "parent", "index.expression: "},
      {"ok", "data.[", "index.expression: "},
  };
  for (const auto& [name, expression, message] : cases) {
    v1::IndexDefinition definition;
    definition.set_name(name);
    definition.set_expression(expression);
    absl::StatusOr<v1::IndexDefinition> checked = CheckIndexDefinition(definition);
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument) << name << expression;
    EXPECT_THAT(std::string(checked.status().message()), StartsWith(message)) << expression;
  }
}

}  // namespace
}  // namespace runledger
