// RecordsProjection: every live Record by name, plus the ordering index ListRecords pages
// through (key layout in entity_index.h). Scopes: all records, one parent (the records of one
// result are adjacent 'N' entries). Sort fields: uid, create_time, update_time.
//
// The entity value is a runledger.v1.StoredRecord: the record without its derived fields, its name
// (the key holds it) and its data's JSON, and the sequence of the event that carries that JSON. The
// log thus holds the only copy of each document; CoreReader joins the two on read.
//
// Folds RECORD_CREATED / RECORD_UPDATED (store the event's full state) and RECORD_DELETED
// (remove it); ignores result events (DeleteResult emits one RECORD_DELETED per record).
#ifndef RUNLEDGER_PROJECTIONS_RECORDS_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_RECORDS_PROJECTION_H_

#include <string>
#include <vector>

#include "runledger/v1/stored.pb.h"
#include "src/projections/entity_index.h"
#include "src/projections/projection.h"

namespace runledger {

class RecordsProjection : public Projection {
 public:
  static constexpr absl::string_view kName = "records";

  absl::string_view name() const override { return kName; }
  int version() const override { return 3; }
  absl::Status Apply(const v1::Event& event, FoldState& state) override;

  // The uid and ordering-index keys of `stored`.
  static EntityKeys KeysOf(absl::string_view name, const v1::StoredRecord& stored);
  // The time `record` sorts by in the `field` order; page tokens carry the same value.
  static int64_t SortNanos(const tekton::results::v1alpha2::Record& record, SortField field);
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_RECORDS_PROJECTION_H_
