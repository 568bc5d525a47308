// The stateless parts of an UpsertRuns run (proto/runledger/v1/ingest.proto): the checks that
// need no state, and what an upsert makes of the Result it finds at the head of the log. The
// Ingestor runs the checks on the caller's thread and the merge on the commit thread.
//
// The checks are those of the v1alpha2 API (spec/api.md §2.1 names, §2.3 summary, §2.4 data);
// each failure is InvalidArgument with a message that starts with the field at fault.
#ifndef RUNLEDGER_INGEST_RUN_UPSERT_H_
#define RUNLEDGER_INGEST_RUN_UPSERT_H_

#include "absl/status/status.h"
#include "runledger/v1/ingest.pb.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

// result.name and record.name valid, the record under the result, result.summary valid if
// present, record.data present and valid.
absl::Status ValidateRunUpsert(const v1::RunUpsert& run);

// The Result `stored` (server fields included) after a top-level `run` has been applied to it:
// the run's annotations set over the stored ones, and the run's summary, if it has one, replacing
// the stored summary while keeping the stored summary annotations the new one does not set.
tekton::results::v1alpha2::Result MergeIntoResult(const tekton::results::v1alpha2::Result& stored,
                                                  const v1::RunUpsert& run);

// The record data the run asks for equals `stored`'s (same type, same value bytes).
bool SameRecordData(const tekton::results::v1alpha2::Record& stored, const v1::RunUpsert& run);

}  // namespace runledger

#endif  // RUNLEDGER_INGEST_RUN_UPSERT_H_
