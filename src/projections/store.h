// Store: one opened data directory: the RocksDB database, the event log, the core projections
// folded inline with every append, and the indexes (built-in and user-defined) folded behind the
// log in generations (index_set.h).
//
// Opening brings the core projections to the head of the log (rebuilding one whose version
// changed, with progress) before anything is served: they must be complete to answer anything.
// Indexes catch up, or are built, in the background; readers that use one ask for it
// (ReadyIndex) and do without it when it has not folded every write acknowledged before them.
//
// User index definitions are kept in the meta column family:
//   "userindex/<name>" -> runledger.v1.IndexDefinition (deterministic encoding)
#ifndef RUNLEDGER_PROJECTIONS_STORE_H_
#define RUNLEDGER_PROJECTIONS_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runledger/v1/admin.pb.h"
#include "src/log/database.h"
#include "src/log/event_log.h"
#include "src/log/successor_table.h"
#include "src/projections/core_reader.h"
#include "src/projections/index_set.h"
#include "src/projections/projection_set.h"
#include "src/projections/summary_cube.h"

namespace runledger {

class Store {
 public:
  using Progress = FoldProgress;
  using IndexDefinitions = std::vector<v1::IndexDefinition>;

  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const Progress& progress = nullptr,
                                                     IndexSet::Options index_options = {});

  Database& database() const { return *database_; }
  EventLog& log() { return *log_; }
  const EventLog& log() const { return *log_; }
  ProjectionSet& projections() { return *projections_; }
  IndexSet& indexes() { return *indexes_; }
  const CoreReader& reader() const { return *reader_; }
  // Which log events are still their entity's latest, for passes over the log (built on first
  // use; thread-safe).
  SuccessorTable& successors() const { return *successors_; }
  // The summary projection's cells, as of what its serving generation has folded.
  const SummaryCube& summaries() const { return *summaries_; }

  // The serving family of index `name` if it has folded every event up to `sequence` (waiting
  // up to `timeout`), else null.
  std::shared_ptr<rocksdb::ColumnFamilyHandle> ReadyIndex(absl::string_view name, uint64_t sequence,
                                                          absl::Duration timeout) const;
  // Waits up to `timeout` until every index serves and has folded every event up to `sequence`;
  // true if they have.
  bool AwaitIndexes(uint64_t sequence, absl::Duration timeout) const;

  // Defines a user index (its `field` already derived, see UserIndexProjection) and starts
  // building it. AlreadyExists if the name is taken.
  absl::Status CreateIndex(const v1::IndexDefinition& definition);
  // Drops a user index and its storage. NotFound if there is none.
  absl::Status DropIndex(const std::string& name);
  // The user indexes, in name order (cheap: a shared snapshot).
  std::shared_ptr<const IndexDefinitions> UserIndexes() const;

  // Every projection's status: core ones (always serving) and indexes.
  std::vector<v1::ProjectionStatus> ProjectionStatuses() const;
  // Starts rebuilding index `name` in the background. NotFound for no projection,
  // FailedPrecondition for a core projection (rebuilt offline only).
  absl::Status RebuildInBackground(const std::string& name);

  // Offline: drops the named projections, core or index (all if empty), and rebuilds them from
  // the log in one pass before returning. An unknown name is InvalidArgument.
  absl::Status Rebuild(const std::vector<std::string>& names, const Progress& progress = nullptr);

  // A canonical text form of every projection's state and checkpoint and of the meta family
  // (without the generation bookkeeping, "index/..." keys): one line per key, in projection then
  // key order, `<projection> <key> <value>` with C escapes. Equal states dump equal, whatever
  // generation holds them.
  absl::Status DumpProjections(std::ostream& out) const;
  // One line per event: `<sequence> <kind> <name>`.
  absl::Status DumpLog(std::ostream& out) const;

 private:
  Store() = default;
  absl::Status AddBuiltInIndexes();
  absl::Status AddUserIndex(const v1::IndexDefinition& definition);
  absl::Status LoadUserIndexes();
  absl::Status ForgetMetaCheckpoints();

  // Declared first so it is destroyed last.
  std::unique_ptr<Database> database_;
  std::unique_ptr<ProjectionSet> projections_;
  std::shared_ptr<SummaryCube> summaries_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<CoreReader> reader_;
  std::unique_ptr<SuccessorTable> successors_;
  mutable absl::Mutex user_mu_;
  std::shared_ptr<const IndexDefinitions> user_indexes_ ABSL_GUARDED_BY(user_mu_) =
      std::make_shared<const IndexDefinitions>();
  // Declared last so its worker stops first.
  std::unique_ptr<IndexSet> indexes_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_STORE_H_
