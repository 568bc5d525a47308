#include "src/projections/results_projection.h"

#include "src/common/entity_fields.h"
#include "src/common/names.h"
#include "src/common/time_util.h"

namespace runledger {
namespace {

using tekton::results::v1alpha2::Result;

int64_t NanosOrMissing(bool present, const google::protobuf::Timestamp& ts) {
  return present ? TimestampToNanos(ts) : kMissingTime;
}

}  // namespace

int64_t ResultsProjection::SortNanos(const Result& result, SortField field) {
  switch (field) {
    case SortField::kCreateTime:
      return TimestampToNanos(result.create_time());
    case SortField::kUpdateTime:
      return TimestampToNanos(result.update_time());
    case SortField::kSummaryStartTime:
      return NanosOrMissing(result.summary().has_start_time(), result.summary().start_time());
    case SortField::kSummaryEndTime:
      return NanosOrMissing(result.summary().has_end_time(), result.summary().end_time());
    case SortField::kUid:
      return 0;
  }
  return 0;
}

EntityKeys ResultsProjection::KeysOf(absl::string_view name, const Result& result) {
  const absl::StatusOr<ResultName> parsed = ParseResultName(name);
  EntityKeys keys;
  keys.uid_key = UidKey(result.uid());
  std::vector<std::string> scopes = {ScopeAll()};
  if (parsed.ok()) scopes.push_back(ScopeParent(parsed->parent));
  for (const std::string& scope : scopes) {
    for (SortField field : {SortField::kUid, SortField::kCreateTime, SortField::kUpdateTime,
                            SortField::kSummaryStartTime, SortField::kSummaryEndTime}) {
      keys.index.push_back(IndexKey(field, scope, SortNanos(result, field), result.uid()));
    }
  }
  return keys;
}

absl::Status ResultsProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RESULT_CREATED:
    case v1::RESULT_UPDATED: {
      Result stored = event.result();
      ClearDerivedFields(&stored);
      stored.clear_name();  // the key holds it
      return FoldEntity(state, event.name(), &stored, &KeysOf);
    }
    case v1::RESULT_DELETED:
      return FoldEntity<Result>(state, event.name(), nullptr, &KeysOf);
    default:
      return absl::OkStatus();
  }
}

}  // namespace runledger
