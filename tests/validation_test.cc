// Unit tests of record data and summary validation (src/ingest/validation.h, api.md §2.3, §2.4).
#include "src/ingest/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runledger {
namespace {

using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::RecordSummary;
using ::testing::HasSubstr;

Record WithData(const std::string& type, const std::string& value) {
  Record record;
  record.set_name("a/results/b/records/c");
  record.mutable_data()->set_type(type);
  record.mutable_data()->set_value(value);
  return record;
}

RecordSummary Summary(const std::string& record, const std::string& type) {
  RecordSummary summary;
  summary.set_record(record);
  summary.set_type(type);
  return summary;
}

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(std::string(status.message()), message);
}

TEST(ValidateRecordDataTest, AcceptsARecordWithoutData) {
  Record record;
  record.set_name("a/results/b/records/c");
  EXPECT_TRUE(ValidateRecordData(record).ok());
}

TEST(ValidateRecordDataTest, AcceptsTypeOfExactly768Bytes) {
  EXPECT_TRUE(ValidateRecordData(WithData(std::string(768, 't'), "{}")).ok());
}

TEST(ValidateRecordDataTest, Rejects769ByteType) {
  ExpectInvalid(ValidateRecordData(WithData(std::string(769, 't'), "{}")),
                "type must not exceed 768 characters");
}

TEST(ValidateRecordDataTest, ChecksTypeLengthBeforeTheValue) {
  ExpectInvalid(ValidateRecordData(WithData(std::string(769, 't'), "")),
                "type must not exceed 768 characters");
}

TEST(ValidateRecordDataTest, RejectsEmptyDataWithGoMessage) {
  Record record;
  record.mutable_data();  // data: {}
  ExpectInvalid(ValidateRecordData(record), "unexpected end of JSON input");
}

TEST(ValidateRecordDataTest, RejectsTypeWithoutValue) {
  ExpectInvalid(ValidateRecordData(WithData("T", "")), "unexpected end of JSON input");
}

TEST(ValidateRecordDataTest, RejectsInvalidJson) {
  for (const std::string value : {"{", "{\"a\":}", "not json", "{'a': 1}", "[1,]"}) {
    absl::Status status = ValidateRecordData(WithData("T", value));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << value;
  }
}

// Go's json.Unmarshal reports a document with no value but whitespace as the end of input,
// exactly like an empty one (api.md §2.4 step 3: the parser's message).
TEST(ValidateRecordDataTest, RejectsWhitespaceOnlyValueWithGoMessage) {
  for (const std::string value : {" ", "  \n\t "}) {
    ExpectInvalid(ValidateRecordData(WithData("T", value)), "unexpected end of JSON input");
  }
}

TEST(ValidateRecordDataTest, RejectsTrailingContentAfterTheDocument) {
  absl::Status status = ValidateRecordData(WithData("T", R"({"a":1} {"b":2})"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

TEST(ValidateRecordDataTest, AcceptsObjectsArraysAndScalars) {
  for (const std::string value :
       {R"({"metadata":{"name":"x"}})", "[1,2]", "5", "null", R"("s")", "true", " {} "}) {
    EXPECT_TRUE(ValidateRecordData(WithData("T", value)).ok()) << value;
  }
}

TEST(ValidateSummaryTest, AcceptsRecordOfAnyResult) {
  EXPECT_TRUE(ValidateSummary(Summary("x/results/other/records/c", "T")).ok());
}

TEST(ValidateSummaryTest, RequiresRecordAndType) {
  const std::string message = "record and type fields required for RecordSummary";
  ExpectInvalid(ValidateSummary(Summary("", "T")), message);
  ExpectInvalid(ValidateSummary(Summary("a/results/b/records/c", "")), message);
  ExpectInvalid(ValidateSummary(RecordSummary()), message);
}

TEST(ValidateSummaryTest, RejectsRecordNotMatchingTheRecordGrammar) {
  for (const std::string record : {"foo", "a/results/b", "a/results/b/logs/c"}) {
    absl::Status status = ValidateSummary(Summary(record, "T"));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << record;
    EXPECT_THAT(status.message(), HasSubstr("invalid record format")) << record;
  }
}

TEST(ValidateSummaryTest, LimitsTypeTo768Bytes) {
  EXPECT_TRUE(ValidateSummary(Summary("a/results/b/records/c", std::string(768, 't'))).ok());
  ExpectInvalid(ValidateSummary(Summary("a/results/b/records/c", std::string(769, 't'))),
                "type must not exceed 768 characters");
  EXPECT_EQ(ValidateSummary(Summary("a/results/b/records/c", std::string(1024, 't'))).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace runledger
