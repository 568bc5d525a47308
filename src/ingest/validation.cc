#include "src/ingest/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"
#include "src/common/names.h"

namespace runledger {
namespace {

absl::Status ValidateType(absl::string_view type) {
  if (type.size() <= kMaxTypeBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("type must not exceed ", kMaxTypeBytes, " characters"));
}

absl::Status ValidateJson(const std::string& value) {
  // Upstream's (Go encoding/json) message for a document with no value, which clients may
  // match on.
  if (absl::StripAsciiWhitespace(value).empty()) {
    return absl::InvalidArgumentError("unexpected end of JSON input");
  }
  thread_local simdjson::dom::parser parser;
  simdjson::error_code error = parser.parse(value).error();
  if (error == simdjson::SUCCESS) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("data.value is not valid JSON: ", simdjson::error_message(error)));
}

}  // namespace

absl::Status ValidateSummary(const tekton::results::v1alpha2::RecordSummary& summary) {
  if (summary.record().empty() || summary.type().empty()) {
    return absl::InvalidArgumentError("record and type fields required for RecordSummary");
  }
  if (!ParseRecordName(summary.record()).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid record format: summary.record ", summary.record()));
  }
  return ValidateType(summary.type());
}

absl::Status ValidateRecordData(const tekton::results::v1alpha2::Record& record) {
  if (!record.has_data()) return absl::OkStatus();
  absl::Status status = ValidateType(record.data().type());
  if (!status.ok()) return status;
  return ValidateJson(record.data().value());
}

}  // namespace runledger
