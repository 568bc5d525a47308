#include "src/query/filter_plan.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/projections/facets.h"
#include "src/query/cel/parser.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;

std::optional<FacetChoice> Choose(const std::string& filter, FilterTarget target) {
  absl::StatusOr<cel::ParsedExpr> parsed = cel::Parse(filter);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return std::nullopt;
  return ChooseFacets(*parsed->root, target);
}

std::vector<std::string> Scopes(const std::string& filter,
                                FilterTarget target = FilterTarget::kRecords) {
  std::optional<FacetChoice> choice = Choose(filter, target);
  if (!choice || choice->scope_prefix) return {};
  return choice->scopes;
}

TEST(FilterPlanTest, EqualityOnEachRecordFacetInEitherSpelling) {
  EXPECT_THAT(Scopes("data.metadata.labels['tekton.dev/pipeline'] == 'pipeline-7'"),
              ElementsAre(FacetScope(Facet::kPipeline, "pipeline-7")));
  EXPECT_THAT(Scopes("'Failed' == data.status.conditions[0].reason"),
              ElementsAre(FacetScope(Facet::kReason, "Failed")));
  EXPECT_THAT(Scopes("data['metadata'].namespace == \"ci\""),
              ElementsAre(FacetScope(Facet::kNamespace, "ci")));
  EXPECT_THAT(Scopes("data.metadata['name'] == 'build-1'"),
              ElementsAre(FacetScope(Facet::kRunName, "build-1")));
  EXPECT_THAT(Scopes("data_type == PIPELINE_RUN"),
              ElementsAre(FacetScope(Facet::kDataType, "tekton.dev/v1.PipelineRun")));
}

TEST(FilterPlanTest, ResultFacetsTakeConstantsAndNumbers) {
  EXPECT_THAT(Scopes("summary.status == SUCCESS", FilterTarget::kResults),
              ElementsAre(FacetScope(Facet::kSummaryStatus, "1")));
  EXPECT_THAT(Scopes("4 == summary.status", FilterTarget::kResults),
              ElementsAre(FacetScope(Facet::kSummaryStatus, "4")));
  EXPECT_THAT(Scopes("summary.type == TASK_RUN", FilterTarget::kResults),
              ElementsAre(FacetScope(Facet::kSummaryType, "tekton.dev/v1.TaskRun")));
  // A string can never equal the integer status; the record environment has no summary.
  EXPECT_THAT(Scopes("summary.status == 'SUCCESS'", FilterTarget::kResults), ElementsAre());
  EXPECT_THAT(Scopes("summary.status == 1", FilterTarget::kRecords), ElementsAre());
}

TEST(FilterPlanTest, TheMostSelectiveConjunctWins) {
  EXPECT_THAT(Scopes("data_type == PIPELINE_RUN && data.metadata.namespace == 'ci' && "
                     "data.metadata.labels['tekton.dev/pipeline'] == 'p'"),
              ElementsAre(FacetScope(Facet::kPipeline, "p")));
}

TEST(FilterPlanTest, MembershipListsEveryValueOnce) {
  EXPECT_THAT(
      Scopes("data.status.conditions[0].reason in ['Failed', 'Cancelled', 'Failed']"),
      ElementsAre(FacetScope(Facet::kReason, "Cancelled"), FacetScope(Facet::kReason, "Failed")));
}

TEST(FilterPlanTest, StartsWithIsAScopePrefix) {
  std::optional<FacetChoice> choice =
      Choose("data.metadata.name.startsWith('pipeline-3')", FilterTarget::kRecords);
  ASSERT_TRUE(choice && choice->scope_prefix);
  EXPECT_EQ(*choice->scope_prefix, FacetScope(Facet::kRunName, "pipeline-3"));
}

TEST(FilterPlanTest, WhatNoIndexCanAnswerIsLeftToTheScan) {
  for (const char* filter : {
           "data.metadata.labels['tekton.dev/pipeline'] != 'p'",
           "!(data_type == PIPELINE_RUN)",
           "data_type == PIPELINE_RUN || data.metadata.namespace == 'ci'",
           "data.metadata.labels['app'] == 'x'",
           "data.status.conditions[1].reason == 'Failed'",
           "data.metadata.namespace == 1",
           "data.metadata.namespace in ['a', 1]",
           "data.metadata.namespace in data.spec.list",
           "has(data.metadata.name)",
           "data.metadata.name.endsWith('x')",
           "[1].exists(data, data == 1)",
       }) {
    EXPECT_FALSE(Choose(filter, FilterTarget::kRecords).has_value()) << filter;
  }
}

std::optional<TimeRange> Range(const std::string& filter, const char* variable) {
  absl::StatusOr<cel::ParsedExpr> parsed = cel::Parse(filter);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return std::nullopt;
  return ChooseTimeRange(*parsed->root, variable);
}

TEST(FilterPlanTest, TimeComparisonsWithConstantsBoundTheTime) {
  constexpr int64_t k2024 = int64_t{1704067200} * 1000000000;  // 2024-01-01T00:00:00Z
  std::optional<TimeRange> r = Range(
      "create_time >= timestamp('2024-01-01T00:00:00Z') && parent == 'p' && "
      "timestamp('2024-01-01T00:00:01Z') > create_time",
      "create_time");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->lowest, k2024);
  EXPECT_EQ(r->highest, k2024 + 1000000000);
  r = Range("create_time < timestamp('2024-01-01T00:00:00Z')", "create_time");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->lowest, TimeRange().lowest);
  EXPECT_EQ(r->highest, k2024);
  for (const char* unbounded :
       {"update_time > timestamp('2024-01-01T00:00:00Z')", "create_time > timestamp('not a time')",
        "create_time > timestamp('2024-01-01T00:00:00Z') || true",
        "create_time != timestamp('2024-01-01T00:00:00Z')"}) {
    EXPECT_FALSE(Range(unbounded, "create_time").has_value()) << unbounded;
  }
}

}  // namespace
}  // namespace runledger
