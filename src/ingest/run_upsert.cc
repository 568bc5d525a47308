#include "src/ingest/run_upsert.h"

#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/ingest/validation.h"

namespace runledger {
namespace {

namespace api = tekton::results::v1alpha2;

// `status` with its message prefixed by the field it is about.
absl::Status AtField(absl::string_view field, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(field, ": ", status.message()));
}

void SetAll(const google::protobuf::Map<std::string, std::string>& from,
            google::protobuf::Map<std::string, std::string>* to) {
  for (const auto& [key, value] : from) (*to)[key] = value;
}

}  // namespace

absl::Status ValidateRunUpsert(const v1::RunUpsert& run) {
  absl::StatusOr<ResultName> result = ParseResultName(run.result().name());
  if (!result.ok()) return AtField("result.name", result.status());
  absl::StatusOr<RecordName> record = ParseRecordName(run.record().name());
  if (!record.ok()) return AtField("record.name", record.status());
  if (record->parent != result->parent || record->result != result->result) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record.name: ", run.record().name(), " is not a record of result ", run.result().name()));
  }
  if (run.result().has_summary()) {
    absl::Status summary = ValidateSummary(run.result().summary());
    if (!summary.ok()) return AtField("result.summary", summary);
  }
  if (!run.record().has_data()) return absl::InvalidArgumentError("record.data: required");
  return AtField("record.data", ValidateRecordData(run.record()));
}

api::Result MergeIntoResult(const api::Result& stored, const v1::RunUpsert& run) {
  api::Result merged = stored;
  SetAll(run.result().annotations(), merged.mutable_annotations());
  if (run.result().has_summary()) {
    api::RecordSummary summary = run.result().summary();
    for (const auto& [key, value] : stored.summary().annotations()) {
      summary.mutable_annotations()->insert({key, value});  // keeps the run's value if it has one
    }
    *merged.mutable_summary() = std::move(summary);
  }
  return merged;
}

bool SameRecordData(const api::Record& stored, const v1::RunUpsert& run) {
  return stored.has_data() && stored.data().type() == run.record().data().type() &&
         stored.data().value() == run.record().data().value();
}

}  // namespace runledger
