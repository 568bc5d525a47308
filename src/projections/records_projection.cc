#include "src/projections/records_projection.h"

#include "src/common/entity_fields.h"
#include "src/common/names.h"
#include "src/common/time_util.h"

namespace runledger {

int64_t RecordsProjection::SortNanos(const tekton::results::v1alpha2::Record& record,
                                     SortField field) {
  switch (field) {
    case SortField::kCreateTime:
      return TimestampToNanos(record.create_time());
    case SortField::kUpdateTime:
      return TimestampToNanos(record.update_time());
    default:
      return 0;
  }
}

EntityKeys RecordsProjection::KeysOf(absl::string_view name, const v1::StoredRecord& stored) {
  const tekton::results::v1alpha2::Record& record = stored.record();
  const absl::StatusOr<RecordName> parsed = ParseRecordName(name);
  EntityKeys keys;
  keys.uid_key = UidKey(record.uid());
  std::vector<std::string> scopes = {ScopeAll()};
  if (parsed.ok()) scopes.push_back(ScopeParent(parsed->parent));
  for (const std::string& scope : scopes) {
    for (SortField field : {SortField::kUid, SortField::kCreateTime, SortField::kUpdateTime}) {
      keys.index.push_back(IndexKey(field, scope, SortNanos(record, field), record.uid()));
    }
  }
  return keys;
}

absl::Status RecordsProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RECORD_CREATED:
    case v1::RECORD_UPDATED: {
      v1::StoredRecord stored;
      *stored.mutable_record() = event.record();
      ClearDerivedFields(stored.mutable_record());
      stored.mutable_record()->clear_name();  // the key holds it
      if (event.record().has_data()) {
        stored.mutable_record()->mutable_data()->clear_value();
        stored.set_data_sequence(event.sequence());
      }
      return FoldEntity(state, event.name(), &stored, &KeysOf);
    }
    case v1::RECORD_DELETED:
      return FoldEntity<v1::StoredRecord>(state, event.name(), nullptr, &KeysOf);
    default:
      return absl::OkStatus();
  }
}

}  // namespace runledger
