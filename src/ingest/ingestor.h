// Ingestor: turns each write request into validated events and appends them to the log.
//
// Checks run in upstream's order with upstream's codes (spec/api.md §2.3). Existence and etag
// checks read the latest state (the core projections, which advance in the same batch as the
// log), under a lock held until the event is durable. The lock is per Result and covers its
// Records, so two concurrent updates with the same etag cannot both succeed, and a Record can
// never be created under a Result being deleted.
//
// One request is one event, except DeleteResult: it appends RECORD_DELETED for each of the
// Result's records, then RESULT_DELETED, all in one atomic append.
#ifndef RUNLEDGER_INGEST_INGESTOR_H_
#define RUNLEDGER_INGEST_INGESTOR_H_

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/log/event_log.h"
#include "src/projections/core_reader.h"
#include "tekton/results/v1alpha2/api.pb.h"

namespace runledger {

class Ingestor {
 public:
  Ingestor(EventLog* log, const CoreReader* reader) : log_(log), reader_(reader) {}

  // `source` identifies the caller in the event ("api:<peer>", "watcher:<id>").
  absl::StatusOr<tekton::results::v1alpha2::Result> CreateResult(
      const tekton::results::v1alpha2::CreateResultRequest& request, absl::string_view source);
  absl::StatusOr<tekton::results::v1alpha2::Result> UpdateResult(
      const tekton::results::v1alpha2::UpdateResultRequest& request, absl::string_view source);
  absl::Status DeleteResult(const tekton::results::v1alpha2::DeleteResultRequest& request,
                            absl::string_view source);

  absl::StatusOr<tekton::results::v1alpha2::Record> CreateRecord(
      const tekton::results::v1alpha2::CreateRecordRequest& request, absl::string_view source);
  absl::StatusOr<tekton::results::v1alpha2::Record> UpdateRecord(
      const tekton::results::v1alpha2::UpdateRecordRequest& request, absl::string_view source);
  absl::Status DeleteRecord(const tekton::results::v1alpha2::DeleteRecordRequest& request,
                            absl::string_view source);

 private:
  // The lock serializing writes to Result `result_name` and its records.
  absl::Mutex& LockFor(absl::string_view result_name);

  EventLog* const log_;
  const CoreReader* const reader_;
  std::array<absl::Mutex, 1024> locks_;
};

}  // namespace runledger

#endif  // RUNLEDGER_INGEST_INGESTOR_H_
