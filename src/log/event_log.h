// EventLog: the append-only log of runledger.v1.Event, the only source of truth.
//
// Formats (the one place they are defined):
//   column family "log":     key = sequence as 8 bytes big-endian
//                            value = runledger.v1.Event, deterministic protobuf encoding
//   column family "history": key = entity name, '\0', sequence as 8 bytes big-endian
//                            value = empty
// Entity names (Result and Record names) never contain '\0', so one entity's history keys are
// exactly the keys with prefix `name + '\0'`, in sequence order.
//
// Invariants:
//   - Sequence numbers start at 1 and are dense and strictly increasing, across restarts.
//   - Append returns OK only once its events are in a synced WAL. Concurrent appends form a
//     group that the first of them (the leader) writes with one synced RocksDB write: one fsync
//     for the whole group (group commit). Groups are written one after another, in sequence
//     order, so a crash can only lose a suffix of unacknowledged groups and never tears one.
//   - The Folder sees every event of the group, after sequence numbers are assigned, and adds
//     its effects (the inline projections) to the same atomic batch.
#ifndef RUNLEDGER_LOG_EVENT_LOG_H_
#define RUNLEDGER_LOG_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "runledger/v1/event.pb.h"
#include "src/log/database.h"

namespace runledger {

class EventLog {
 public:
  // Adds the effects of a group of freshly sequenced events to the batch that appends them.
  class Folder {
   public:
    virtual ~Folder() = default;
    virtual absl::Status Fold(absl::Span<const v1::Event* const> events,
                              rocksdb::WriteBatchWithIndex* batch) = 0;
  };

  // `folder` may be null. Both must outlive the log.
  EventLog(Database* database, Folder* folder);

  // Reads the last sequence number from disk. Call once before anything else.
  absl::Status Open();

  // Appends `events` as one atomic, durable write, assigning their sequence numbers (written
  // back into `events`). Thread-safe; concurrent callers share one WAL sync.
  absl::Status Append(std::vector<v1::Event>* events);

  // The sequence number of the last durable event (0 for an empty log).
  uint64_t LastSequence() const;

  // Up to `max_events` events with sequence >= `from`, in order.
  absl::StatusOr<std::vector<v1::Event>> Read(uint64_t from, size_t max_events) const;

  // The event with sequence `sequence`.
  absl::StatusOr<v1::Event> Get(uint64_t sequence) const;

  // The sequence numbers of every event about entity `name`, in order, read from the history
  // index (no scan of the log).
  absl::StatusOr<std::vector<uint64_t>> EntitySequences(absl::string_view name) const;

  static std::string LogKey(uint64_t sequence);
  static uint64_t DecodeLogKey(absl::string_view key);
  static std::string HistoryKey(absl::string_view name, uint64_t sequence);

 private:
  struct Writer;

  // Writes the group of writers at the front of the queue, which starts with the caller.
  absl::Status WriteGroup(absl::Span<Writer* const> group, uint64_t first_sequence);

  Database* const database_;
  Folder* const folder_;

  mutable absl::Mutex mu_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace runledger

#endif  // RUNLEDGER_LOG_EVENT_LOG_H_
