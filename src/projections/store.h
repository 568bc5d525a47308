// Store: one opened data directory: the RocksDB database, the event log, the core projections
// folded inline with every append, and the indexes folded behind the log by a worker thread.
// Opening brings the core projections to the head of the log (rebuilding one whose version
// changed) before anything is served; the indexes catch up in the background, and readers that
// use them wait for them (AwaitIndexes) or do without.
#ifndef RUNLEDGER_PROJECTIONS_STORE_H_
#define RUNLEDGER_PROJECTIONS_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/log/database.h"
#include "src/log/event_log.h"
#include "src/projections/core_reader.h"
#include "src/projections/projection_set.h"
#include "src/projections/projection_worker.h"

namespace runledger {

class Store {
 public:
  using Progress = std::function<void(uint64_t done, uint64_t total)>;

  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const Progress& progress = nullptr);

  Database& database() const { return *database_; }
  EventLog& log() { return *log_; }
  const EventLog& log() const { return *log_; }
  ProjectionSet& projections() { return *projections_; }
  ProjectionSet& indexes() { return *indexes_; }
  const CoreReader& reader() const { return *reader_; }
  // The summary projection's cells, as of what the indexes have folded (AwaitIndexes).
  const SummaryCube& summaries() const { return *summaries_; }

  // Waits up to `timeout` until the indexes have folded every event up to `sequence`; true if
  // they have.
  bool AwaitIndexes(uint64_t sequence, absl::Duration timeout) const;

  // Drops the named projections, core or index (all if empty), and rebuilds them from the log
  // before returning. An unknown name is InvalidArgument.
  absl::Status Rebuild(const std::vector<std::string>& names, const Progress& progress = nullptr);

  // A canonical text form of every projection's state and checkpoint: one line per key, in
  // family then key order, `<family> <key> <value>` with C escapes. Equal states dump equal.
  absl::Status DumpProjections(std::ostream& out) const;
  // One line per event: `<sequence> <kind> <name>`.
  absl::Status DumpLog(std::ostream& out) const;

 private:
  Store() = default;
  void StartIndexWorker();

  // Declared first so it is destroyed last.
  std::unique_ptr<Database> database_;
  std::unique_ptr<ProjectionSet> projections_;
  std::shared_ptr<SummaryCube> summaries_;
  std::unique_ptr<ProjectionSet> indexes_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<CoreReader> reader_;
  // Declared last so it stops first.
  std::unique_ptr<ProjectionWorker> index_worker_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_STORE_H_
