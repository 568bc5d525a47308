// Unit tests of the resource-name grammar and formatting (src/common/names.h, api.md §2.1).
#include "src/common/names.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runledger {
namespace {

constexpr char kResultError[] = "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)";
constexpr char kRecordError[] =
    "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63})/records/"
    "([a-z0-9_-]{1,63}$)";
constexpr char kLogError[] =
    "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63})/logs/([a-z0-9_-]{1,63}$)";

const std::string k63(63, 'a');
const std::string k64(64, 'a');

// Asserts that `status` is InvalidArgument with exactly `message`.
void ExpectRejected(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), message);
}

class RejectedResultNameTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RejectedResultNameTest, IsInvalidArgumentWithUpstreamMessage) {
  ExpectRejected(ParseResultName(GetParam()).status(), kResultError);
}

INSTANTIATE_TEST_SUITE_P(Vectors, RejectedResultNameTest,
                         ::testing::Values("a/results/", "a/results", "/results/b", "results/b",
                                           "a/record/b", "a/b/results/c", "a/results/b/c",
                                           "a/results/b/records/c", "tacocat", "", "A/results/b",
                                           "a/results/B", "a/Results/b", " a/results/b",
                                           "a/results/b ", "a/results/b.c", "a//results/b",
                                           k64 + "/results/b", "a/results/" + k64));

class RejectedRecordNameTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RejectedRecordNameTest, IsInvalidArgumentWithUpstreamMessage) {
  ExpectRejected(ParseRecordName(GetParam()).status(), kRecordError);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, RejectedRecordNameTest,
    ::testing::Values("a/results/b/records/", "/records/b", "records/b", "a/tacocat/b/records/c",
                      "a/results/b", "a/results/b/records/c/d", "a/results/b/logs/c", "tacocat", "",
                      "a/results/b/records/C", "A/results/b/records/c", " a/results/b/records/c",
                      "/results/b/records/c", "a/results//records/c", k64 + "/results/b/records/c",
                      "a/results/" + k64 + "/records/c", "a/results/b/records/" + k64));

class RejectedLogNameTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RejectedLogNameTest, IsInvalidArgumentWithUpstreamMessage) {
  ExpectRejected(ParseLogName(GetParam()).status(), kLogError);
}

INSTANTIATE_TEST_SUITE_P(Vectors, RejectedLogNameTest,
                         ::testing::Values("a/results/b/logs/", "/logs/b", "logs/b",
                                           "a/tacocat/b/logs/c", "a/results/b",
                                           "a/results/b/logs/c/d", "a/results/b/records/c",
                                           "tacocat", "", "a/results/b/logs/C",
                                           " a/results/b/logs/c", "a/results/b/logs/" + k64));

TEST(ParseResultNameTest, SplitsParentAndResult) {
  absl::StatusOr<ResultName> name = ParseResultName("foo/results/bar");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->parent, "foo");
  EXPECT_EQ(name->result, "bar");
}

TEST(ParseResultNameTest, AcceptsSixtyThreeCharacterSegments) {
  absl::StatusOr<ResultName> name = ParseResultName(k63 + "/results/" + k63);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->parent, k63);
  EXPECT_EQ(name->result, k63);
}

TEST(ParseResultNameTest, AcceptsLiteralWordsAsIds) {
  absl::StatusOr<ResultName> name = ParseResultName("results/results/results");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->parent, "results");
  EXPECT_EQ(name->result, "results");
}

TEST(ParseResultNameTest, AcceptsEveryAllowedCharacterAndTheWildcard) {
  absl::StatusOr<ResultName> all = ParseResultName("abc-xyz_019/results/-");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->parent, "abc-xyz_019");
  EXPECT_EQ(all->result, "-");
  absl::StatusOr<ResultName> wildcard = ParseResultName("-/results/-");
  ASSERT_TRUE(wildcard.ok()) << wildcard.status();
  EXPECT_EQ(wildcard->parent, kWildcard);
  EXPECT_EQ(wildcard->result, kWildcard);
}

TEST(ParseRecordNameTest, SplitsParentResultAndRecord) {
  absl::StatusOr<RecordName> name = ParseRecordName("foo/results/bar/records/baz");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->parent, "foo");
  EXPECT_EQ(name->result, "bar");
  EXPECT_EQ(name->record, "baz");
}

TEST(ParseRecordNameTest, AcceptsLiteralWordsAsIds) {
  absl::StatusOr<RecordName> name = ParseRecordName("results/results/records/records/records");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->parent, "results");
  EXPECT_EQ(name->result, "records");
  EXPECT_EQ(name->record, "records");
}

TEST(ParseRecordNameTest, AcceptsSixtyThreeCharacterSegments) {
  absl::StatusOr<RecordName> name = ParseRecordName(k63 + "/results/" + k63 + "/records/" + k63);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->record, k63);
}

TEST(ParseLogNameTest, SplitsParentResultAndRecordId) {
  absl::StatusOr<RecordName> name = ParseLogName("foo/results/bar/logs/baz");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->parent, "foo");
  EXPECT_EQ(name->result, "bar");
  EXPECT_EQ(name->record, "baz");
}

TEST(IsValidIdTest, AcceptsOneToSixtyThreeAllowedCharacters) {
  EXPECT_TRUE(IsValidId("-"));
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_TRUE(IsValidId("0_9-az"));
  EXPECT_TRUE(IsValidId(k63));
}

TEST(IsValidIdTest, RejectsEmptyLongAndForeignCharacters) {
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId(k64));
  const std::vector<std::string> ids = {
      "A", "a.b", "a/b", "a b", " a", "é", std::string("a\0b", 3)};
  for (const std::string& id : ids) EXPECT_FALSE(IsValidId(id)) << id;
}

TEST(FormatNameTest, FormatsResultName) { EXPECT_EQ(FormatResultName("a", "b"), "a/results/b"); }

TEST(FormatNameTest, FormatsRecordNameUnderAResultName) {
  EXPECT_EQ(FormatRecordName("a", "b"), "a/records/b");
  EXPECT_EQ(FormatRecordName(FormatResultName("p", "r"), "x"), "p/results/r/records/x");
}

TEST(FormatNameTest, FormattedNamesParseBack) {
  const std::string record = FormatRecordName(FormatResultName("p", "r"), "x");
  absl::StatusOr<RecordName> parsed = ParseRecordName(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(FormatRecordName(FormatResultName(parsed->parent, parsed->result), parsed->record),
            record);
}

TEST(SplitStoredRecordNameTest, GivesTheThreeIdsAsViews) {
  const std::string name = "ns-1/results/r_2/records/rec-3";
  RecordNameView ids;
  ASSERT_TRUE(SplitStoredRecordName(name, &ids));
  EXPECT_EQ(std::string(ids.parent), "ns-1");
  EXPECT_EQ(std::string(ids.result), "r_2");
  EXPECT_EQ(std::string(ids.record), "rec-3");
  EXPECT_EQ(ids.record.data() + ids.record.size(), name.data() + name.size());
}

TEST(SplitStoredRecordNameTest, AgreesWithParseRecordNameOnValidNames) {
  for (const std::string& name :
       std::vector<std::string>{"a/results/b/records/c", "-/results/-/records/-",
                                k63 + "/results/" + k63 + "/records/" + k63}) {
    RecordNameView ids;
    ASSERT_TRUE(SplitStoredRecordName(name, &ids)) << name;
    absl::StatusOr<RecordName> parsed = ParseRecordName(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(std::string(ids.parent), parsed->parent);
    EXPECT_EQ(std::string(ids.result), parsed->result);
    EXPECT_EQ(std::string(ids.record), parsed->record);
  }
}

TEST(SplitStoredRecordNameTest, RejectsOtherShapes) {
  RecordNameView ids;
  EXPECT_FALSE(SplitStoredRecordName("a/results/b", &ids));
  EXPECT_FALSE(SplitStoredRecordName("a/results/b/logs/c", &ids));
  EXPECT_FALSE(SplitStoredRecordName("a/records/c/results/b", &ids));
}

}  // namespace
}  // namespace runledger
