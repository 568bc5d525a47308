#include "src/projections/results_projection.h"

#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/projections/entity_index.h"

namespace runledger {
namespace {

using tekton::results::v1alpha2::Result;

int64_t NanosOrMissing(bool present, const google::protobuf::Timestamp& ts) {
  return present ? TimestampToNanos(ts) : kMissingTime;
}

}  // namespace

std::vector<std::string> ResultsProjection::IndexKeys(const Result& result) {
  const int64_t start =
      NanosOrMissing(result.summary().has_start_time(), result.summary().start_time());
  const int64_t end = NanosOrMissing(result.summary().has_end_time(), result.summary().end_time());
  const int64_t created = TimestampToNanos(result.create_time());
  const int64_t updated = TimestampToNanos(result.update_time());
  const ResultName parsed = *ParseResultName(result.name());
  std::vector<std::string> keys;
  for (const std::string& scope : {ScopeAll(), ScopeParent(parsed.parent)}) {
    keys.push_back(IndexKey(SortField::kUid, scope, 0, result.uid()));
    keys.push_back(IndexKey(SortField::kCreateTime, scope, created, result.uid()));
    keys.push_back(IndexKey(SortField::kUpdateTime, scope, updated, result.uid()));
    keys.push_back(IndexKey(SortField::kSummaryStartTime, scope, start, result.uid()));
    keys.push_back(IndexKey(SortField::kSummaryEndTime, scope, end, result.uid()));
  }
  return keys;
}

absl::Status ResultsProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RESULT_CREATED:
    case v1::RESULT_UPDATED:
      return FoldEntity(state, event.name(), &event.result(), &IndexKeys);
    case v1::RESULT_DELETED:
      return FoldEntity<Result>(state, event.name(), nullptr, &IndexKeys);
    default:
      return absl::OkStatus();
  }
}

}  // namespace runledger
