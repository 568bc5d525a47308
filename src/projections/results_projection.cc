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

EntityKeys ResultsProjection::KeysOf(const Result& result) {
  const int64_t start =
      NanosOrMissing(result.summary().has_start_time(), result.summary().start_time());
  const int64_t end = NanosOrMissing(result.summary().has_end_time(), result.summary().end_time());
  const int64_t created = TimestampToNanos(result.create_time());
  const int64_t updated = TimestampToNanos(result.update_time());
  const absl::StatusOr<ResultName> parsed = ParseResultName(result.name());
  EntityKeys keys;
  keys.uid_key = UidKey(result.uid());
  std::vector<std::string> scopes = {ScopeAll()};
  if (parsed.ok()) scopes.push_back(ScopeParent(parsed->parent));
  for (const std::string& scope : scopes) {
    keys.index.push_back(IndexKey(SortField::kUid, scope, 0, result.uid()));
    keys.index.push_back(IndexKey(SortField::kCreateTime, scope, created, result.uid()));
    keys.index.push_back(IndexKey(SortField::kUpdateTime, scope, updated, result.uid()));
    keys.index.push_back(IndexKey(SortField::kSummaryStartTime, scope, start, result.uid()));
    keys.index.push_back(IndexKey(SortField::kSummaryEndTime, scope, end, result.uid()));
  }
  return keys;
}

absl::Status ResultsProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RESULT_CREATED:
    case v1::RESULT_UPDATED: {
      Result stored = event.result();
      ClearDerivedFields(&stored);
      return FoldEntity(state, event.name(), &stored, &KeysOf);
    }
    case v1::RESULT_DELETED:
      return FoldEntity<Result>(state, event.name(), nullptr, &KeysOf);
    default:
      return absl::OkStatus();
  }
}

}  // namespace runledger
