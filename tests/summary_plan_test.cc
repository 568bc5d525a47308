#include "src/query/summary_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/query/cel/parser.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;

std::optional<CellConstraint> Plan(std::string_view filter) {
  absl::StatusOr<cel::ParsedExpr> parsed = cel::Parse(filter);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return CellConstraintOf(*parsed->root);
}

constexpr int64_t kJan5 = 20458;  // days since the epoch of 2026-01-05

TEST(SummaryPlanTest, KeysAndWholeDayRangesAreAnsweredByCells) {
  std::optional<CellConstraint> c = Plan(
      "data_type == PIPELINE_RUN && 'team-a' == data.metadata.namespace && "
      "data.metadata.labels['tekton.dev/pipeline'] in ['b', 'a', 'b'] && "
      "data['metadata'].annotations['pipelinesascode.tekton.dev/repository'] == 'r' && "
      "parent == 'ns1' && "
      "data.metadata.creationTimestamp >= timestamp('2026-01-05T00:00:00Z') && "
      "timestamp('2026-01-07T00:00:00Z') > timestamp(data.metadata.creationTimestamp)");
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(*c->types, ElementsAre("tekton.dev/v1.PipelineRun"));
  EXPECT_THAT(*c->namespaces, ElementsAre("team-a"));
  EXPECT_THAT(*c->pipelines, ElementsAre("a", "b"));
  EXPECT_THAT(*c->repositories, ElementsAre("r"));
  EXPECT_THAT(*c->parents, ElementsAre("ns1"));
  const auto& created = c->days[static_cast<int>(RunTime::kCreated)];
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->first, kJan5);
  EXPECT_EQ(created->last, kJan5 + 1);
  EXPECT_FALSE(c->days[static_cast<int>(RunTime::kStarted)].has_value());
}

TEST(SummaryPlanTest, RepeatedKeysIntersect) {
  std::optional<CellConstraint> c =
      Plan("data_type in ['a', 'b'] && data_type in ['b', 'c'] && true");
  ASSERT_TRUE(c.has_value());
  EXPECT_THAT(*c->types, ElementsAre("b"));
}

TEST(SummaryPlanTest, AnythingElseIsNotAnsweredByCells) {
  for (const char* filter : {
           "data.status.conditions[0].reason == 'Failed'",
           "data_type == 'a' || data_type == 'b'",
           "data_type != 'a'",
           "data.metadata.namespace.startsWith('team')",
           "data.metadata.creationTimestamp >= timestamp('2026-01-05T10:00:00Z')",  // not midnight
           "data.metadata.creationTimestamp > timestamp('2026-01-05T00:00:00Z')",  // not whole days
           "data.status.startTime <= timestamp('2026-01-05T00:00:00Z')",
           "name == 'x'",
       }) {
    EXPECT_FALSE(Plan(filter).has_value()) << filter;
  }
}

}  // namespace
}  // namespace runledger
