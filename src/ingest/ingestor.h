// Ingestor: turns each write request into validated events and appends them to the log.
//
// Checks run in upstream's order with upstream's codes (spec/api.md §2.3). Checks that need no
// state (name grammar, parent match, summary and JSON well-formedness) run on the caller's
// thread; existence and etag checks run on the log's commit thread against the state at the
// head of the log (EventLog::Proposal), one request at a time. So two concurrent updates with
// the same etag cannot both succeed, and a Record can never be created under a Result being
// deleted. Where a stateless check comes later in upstream's order (record data is checked after
// NotFound and the etag), its outcome is computed early and reported at that later point.
//
// One request is one event, except DeleteResult: it appends RECORD_DELETED for each of the
// Result's records, then RESULT_DELETED, all in one atomic append; and UpsertRun (the watcher's
// runledger.v1.Ingest path): one proposal decides a run's Result and Record events together, and
// appends only those of them that change something (none when the run is already stored as is).
#ifndef RUNLEDGER_INGEST_INGESTOR_H_
#define RUNLEDGER_INGEST_INGESTOR_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/empty.pb.h"
#include "runledger/v1/ingest.pb.h"
#include "src/log/event_log.h"
#include "src/projections/core_reader.h"
#include "tekton/results/v1alpha2/api.pb.h"

namespace runledger {

class Ingestor {
 public:
  // Receives the outcome of a write exactly once. It may run on the log's commit thread, so it
  // must not block.
  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;

  Ingestor(EventLog* log, const CoreReader* reader) : log_(log), reader_(reader) {}

  // Asynchronous writes. `request` must stay alive until `done` has run. `source` identifies
  // the caller in the event ("api:<peer>", "watcher:<id>").
  void CreateResult(const tekton::results::v1alpha2::CreateResultRequest& request,
                    std::string source, Done<tekton::results::v1alpha2::Result> done);
  void UpdateResult(const tekton::results::v1alpha2::UpdateResultRequest& request,
                    std::string source, Done<tekton::results::v1alpha2::Result> done);
  void DeleteResult(const tekton::results::v1alpha2::DeleteResultRequest& request,
                    std::string source, Done<google::protobuf::Empty> done);
  void CreateRecord(const tekton::results::v1alpha2::CreateRecordRequest& request,
                    std::string source, Done<tekton::results::v1alpha2::Record> done);
  void UpdateRecord(const tekton::results::v1alpha2::UpdateRecordRequest& request,
                    std::string source, Done<tekton::results::v1alpha2::Record> done);
  void DeleteRecord(const tekton::results::v1alpha2::DeleteRecordRequest& request,
                    std::string source, Done<google::protobuf::Empty> done);
  // Creates or updates a run's Result and Record (see proto/runledger/v1/ingest.proto). The
  // outcome's code and message are left unset: a failure is the returned status.
  void UpsertRun(const v1::RunUpsert& run, std::string source, Done<v1::RunUpsertResult> done);

  // The same writes, waiting for their outcome.
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
  absl::StatusOr<v1::RunUpsertResult> UpsertRun(const v1::RunUpsert& run, absl::string_view source);

 private:
  // Decides a write's events against the state at the head of the log; runs on the commit
  // thread.
  template <typename T>
  using Decide =
      std::function<absl::StatusOr<T>(const CoreReader& head, EventLog::ProposalContext& context)>;

  template <typename T>
  void Submit(Decide<T> decide, Done<T> done);

  EventLog* const log_;
  const CoreReader* const reader_;
};

}  // namespace runledger

#endif  // RUNLEDGER_INGEST_INGESTOR_H_
