// Unit tests of order_by parsing for ListResults and ListRecords (src/query/order_by.h, §3.3).
#include "src/query/order_by.h"

#include <ostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runledger {
namespace {

constexpr char kResultsHint[] =
    "the value must obey the format "
    "<create_time|summary.end_time|summary.start_time|update_time> [asc|desc]";
constexpr char kRecordsHint[] =
    "the value must obey the format <create_time|update_time> [asc|desc]";

struct ParseCase {
  std::string text;
  SortField field;
  std::string field_name;
  bool descending;
};

// Names the case by its input in test output (and in ctest's test names).
void PrintTo(const ParseCase& c, std::ostream* out) { *out << '"' << c.text << '"'; }

class ParseResultOrderTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseResultOrderTest, Parses) {
  const ParseCase& c = GetParam();
  absl::StatusOr<OrderBy> order = ParseOrderBy(c.text, ResultOrderFields());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->field, c.field);
  EXPECT_EQ(order->field_name, c.field_name);
  EXPECT_EQ(order->descending, c.descending);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ParseResultOrderTest,
    ::testing::Values(
        ParseCase{"create_time DESC", SortField::kCreateTime, "create_time", true},
        ParseCase{"create_time ASC", SortField::kCreateTime, "create_time", false},
        ParseCase{"update_time", SortField::kUpdateTime, "update_time", false},
        ParseCase{"summary.start_time asc", SortField::kSummaryStartTime, "summary.start_time",
                  false},
        ParseCase{"summary.end_time desc", SortField::kSummaryEndTime, "summary.end_time", true},
        ParseCase{"   create_time   desc   ", SortField::kCreateTime, "create_time", true},
        ParseCase{"\tupdate_time\tDESC\n", SortField::kUpdateTime, "update_time", true},
        ParseCase{"", SortField::kUid, "", false}, ParseCase{"  ", SortField::kUid, "", false}));

TEST(ParseOrderByTest, RecordsAcceptTheirTwoFields) {
  absl::StatusOr<OrderBy> order = ParseOrderBy("update_time desc", RecordOrderFields());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->field, SortField::kUpdateTime);
  EXPECT_TRUE(order->descending);
}

void ExpectInvalid(absl::string_view text, const std::vector<OrderableField>& fields,
                   const std::string& message) {
  absl::StatusOr<OrderBy> order = ParseOrderBy(text, fields);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_EQ(std::string(order.status().message()), message) << text;
}

TEST(ParseOrderByTest, RejectsUnknownFieldWithUpstreamMessage) {
  ExpectInvalid("id", ResultOrderFields(),
                std::string("id: field is unknown or cannot be used in the order by clause\n") +
                    kResultsHint);
  ExpectInvalid("created_time desc", ResultOrderFields(),
                std::string("created_time: field is unknown or cannot be used in the order by "
                            "clause\n") +
                    kResultsHint);
}

TEST(ParseOrderByTest, RejectsSummaryFieldsForRecords) {
  ExpectInvalid("summary.start_time", RecordOrderFields(),
                std::string("summary.start_time: field is unknown or cannot be used in the order "
                            "by clause\n") +
                    kRecordsHint);
}

TEST(ParseOrderByTest, RejectsBadGrammarWithUpstreamMessage) {
  const std::string message = std::string("invalid order by statement:\n") + kResultsHint;
  for (const std::string text :
       {"this is invalid", "create_time ASCC", "create_time Asc", "create_time dEsC",
        "create_time,update_time", "create_time asc, update_time desc", "create_time asc desc",
        "create-time", "asc create_time x"}) {
    ExpectInvalid(text, ResultOrderFields(), message);
  }
}

TEST(ParseOrderByTest, GrammarErrorNamesTheRecordFields) {
  ExpectInvalid("create_time ASCC", RecordOrderFields(),
                std::string("invalid order by statement:\n") + kRecordsHint);
}

TEST(OrderableFieldsTest, ResultsAndRecordsExposeUpstreamFields) {
  std::vector<std::string> results;
  for (const OrderableField& f : ResultOrderFields()) results.emplace_back(f.name);
  EXPECT_THAT(results, ::testing::UnorderedElementsAre("create_time", "update_time",
                                                       "summary.start_time", "summary.end_time"));
  std::vector<std::string> records;
  for (const OrderableField& f : RecordOrderFields()) records.emplace_back(f.name);
  EXPECT_THAT(records, ::testing::UnorderedElementsAre("create_time", "update_time"));
}

}  // namespace
}  // namespace runledger
