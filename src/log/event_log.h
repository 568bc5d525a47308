// EventLog: the append-only log of runledger.v1.Event, the only source of truth.
//
// Formats (the one place they are defined):
//   column family "log":     key = sequence as 8 bytes big-endian
//                            value = runledger.v1.Event, deterministic protobuf encoding
//   column family "history": key = entity name, '\0', sequence as 8 bytes big-endian
//                            value = empty
//   column family "changes": key = parent, '\0', sequence as 8 bytes big-endian
//                            value = empty
//     where parent is the first segment of the event's entity name (`<parent>/results/...`).
//   column family "meta":    key "changes-indexed" = "1" once the "changes" family indexes
//                            every event (Open indexes a log written before it existed).
// Entity names (Result and Record names) never contain '\0', so one entity's history keys are
// exactly the keys with prefix `name + '\0'`, in sequence order; a Result's records' keys are
// those with prefix `<result name>/records/`; one parent's changes, those with prefix
// `parent + '\0'`. The index entries of an event are written in the same atomic batch as the
// event.
//
// Writes go through one commit thread. It takes every proposal queued so far as a group and,
// one proposal at a time, lets it decide its events against the latest state: the database plus
// the effects of the events proposed before it in the same group (the pending batch). Each
// event gets the next sequence number and is folded into the pending batch by the Folder (the
// inline projections). The group is then written with one synced RocksDB write — one fsync for
// all of it (group commit) — and only then is every proposal told its outcome.
//
// Invariants:
//   - Sequence numbers start at 1 and are dense and strictly increasing, across restarts.
//   - A proposal hears OK only once its events are in a synced WAL; a group is one atomic write,
//     so a crash loses only whole unacknowledged groups and never tears one.
//   - Proposals run one at a time, in submission order, each seeing every event accepted before
//     it: validation is serialized against the head of the log.
#ifndef RUNLEDGER_LOG_EVENT_LOG_H_
#define RUNLEDGER_LOG_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "runledger/v1/event.pb.h"
#include "src/log/database.h"

namespace runledger {

class EventLog {
 public:
  // Adds the effects of freshly sequenced events to the pending batch that appends them.
  class Folder {
   public:
    virtual ~Folder() = default;
    virtual absl::Status Fold(absl::Span<const v1::Event* const> events,
                              rocksdb::WriteBatchWithIndex* batch) = 0;
    // Called once per written group, after the last Fold: records that everything up to
    // `last_sequence` is folded, in the same batch. Folders that keep no checkpoint need not.
    virtual absl::Status Checkpoint(uint64_t last_sequence, rocksdb::WriteBatchWithIndex* batch) {
      return absl::OkStatus();
    }
  };

  // What a proposal sees while it runs on the commit thread.
  class ProposalContext {
   public:
    // The writes of the group so far, to read through (GetFromBatchAndDB, NewIteratorWithBase):
    // together with the database it is the state at the head of the log.
    rocksdb::WriteBatchWithIndex& pending() const { return *pending_; }
    // Accepts `event`: gives it the next sequence number, which it returns.
    uint64_t Append(v1::Event event);

   private:
    friend class EventLog;
    ProposalContext(rocksdb::WriteBatchWithIndex* pending, uint64_t next_sequence)
        : pending_(pending), next_sequence_(next_sequence) {}
    rocksdb::WriteBatchWithIndex* pending_;
    uint64_t next_sequence_;
    std::vector<v1::Event> events_;
  };

  // A unit of work for the commit thread.
  class Proposal {
   public:
    virtual ~Proposal() = default;
    // Decides against the latest state which events to append (context.Append) and returns OK,
    // or returns the error to report instead (and appends nothing).
    virtual absl::Status Propose(ProposalContext& context) = 0;
    // The outcome: OK once the events are durable, or the error. Runs on the log's delivery
    // thread, in submission order; it must not block.
    virtual void Done(const absl::Status& status) = 0;
  };

  // `folder` may be null. Both must outlive the log.
  EventLog(Database* database, Folder* folder);
  // Runs every proposal already submitted and delivers its outcome, then stops the threads.
  ~EventLog();

  // Reads the last sequence number from disk and starts the commit and delivery threads. Call
  // once.
  absl::Status Open();

  // Queues `proposal` for the commit thread.
  void Submit(std::unique_ptr<Proposal> proposal);

  // Appends `events` as one atomic, durable write and waits for it, writing the assigned
  // sequence numbers back into `events`.
  absl::Status Append(std::vector<v1::Event>* events);

  // The sequence number of the last durable event (0 for an empty log).
  uint64_t LastSequence() const;

  // Waits until an event after `sequence` is durable or `timeout` has passed, and returns
  // LastSequence(). Projection workers tail the log with it.
  uint64_t AwaitAfter(uint64_t sequence, absl::Duration timeout) const;

  // Receives an event as the log stores it: its sequence number and its encoding. The bytes are
  // valid only during the call. A non-OK status stops the read and is what the read returns.
  using EncodedVisitor = absl::FunctionRef<absl::Status(uint64_t, absl::string_view)>;

  // Up to `max_events` events with sequence >= `from`, in order, stopping after the event that
  // brings their encoded size to `max_bytes`.
  absl::StatusOr<std::vector<v1::Event>> Read(uint64_t from, size_t max_events,
                                              size_t max_bytes = SIZE_MAX) const;
  // Visits the events Read(from, max_events, max_bytes) returns that are <= `to`, undecoded.
  absl::Status ReadEncoded(uint64_t from, uint64_t to, size_t max_events, size_t max_bytes,
                           EncodedVisitor visit) const;

  // The event with sequence `sequence`.
  absl::StatusOr<v1::Event> Get(uint64_t sequence) const;

  // The sequence numbers of the events about entity `name` within [from, to], in order, at most
  // `max`, read from the history index (no scan of the log).
  absl::StatusOr<std::vector<uint64_t>> EntitySequences(absl::string_view name, uint64_t from = 0,
                                                        uint64_t to = UINT64_MAX,
                                                        size_t max = SIZE_MAX) const;
  // The last sequence number of an event about `name` that is <= `at`, if any.
  absl::StatusOr<std::optional<uint64_t>> LastEntitySequence(absl::string_view name,
                                                             uint64_t at) const;
  // The sequence numbers within [from, to] of the events about every entity whose name starts
  // with `name_prefix` (e.g. a Result's records), in no particular order.
  absl::StatusOr<std::vector<uint64_t>> PrefixSequences(absl::string_view name_prefix,
                                                        uint64_t from, uint64_t to) const;
  // The sequence numbers of the events under `parent` within [from, to], in order, at most
  // `max`, read from the changes index.
  absl::StatusOr<std::vector<uint64_t>> ParentSequences(absl::string_view parent, uint64_t from,
                                                        uint64_t to, size_t max) const;
  // The events with the given sequence numbers, in that order (each must exist).
  absl::StatusOr<std::vector<v1::Event>> GetMany(const std::vector<uint64_t>& sequences) const;
  // Visits the events with the given sequence numbers, in that order (each must exist),
  // undecoded.
  absl::Status GetManyEncoded(absl::Span<const uint64_t> sequences, EncodedVisitor visit) const;
  // The error for an event at `sequence` whose stored bytes do not decode (DataLoss).
  static absl::Status Undecodable(uint64_t sequence);
  // Decodes the event at `sequence` from its encoding; DataLoss if it is undecodable.
  static absl::Status Decode(uint64_t sequence, absl::string_view encoded, v1::Event* event);
  // A visitor that decodes each event and appends it to `events`.
  static auto DecodeInto(std::vector<v1::Event>* events) {
    return [events](uint64_t sequence, absl::string_view encoded) {
      return Decode(sequence, encoded, &events->emplace_back());
    };
  }

  static std::string LogKey(uint64_t sequence);
  static uint64_t DecodeLogKey(absl::string_view key);
  static std::string HistoryKey(absl::string_view name, uint64_t sequence);
  static std::string ChangesKey(absl::string_view parent, uint64_t sequence);
  // The parent segment of entity name `name`.
  static absl::string_view ParentOf(absl::string_view name);
  // The sequence of history key `key` if it is one of entity `name`'s.
  static std::optional<uint64_t> HistorySequence(absl::string_view key, absl::string_view name);
  // The entity name of history key `key` (empty if `key` is too short to be one).
  static absl::string_view HistoryEntity(absl::string_view key);
  // The sequence of the last event `options`' snapshot holds in `database`'s log (0: none).
  static absl::StatusOr<uint64_t> LastSequenceIn(const Database& database,
                                                 const rocksdb::ReadOptions& options);

 private:
  void CommitLoop();
  // Delivers the outcomes of committed groups, off the commit thread.
  void DeliverLoop();
  // Runs and writes one group; returns each proposal's outcome.
  std::vector<absl::Status> Commit(absl::Span<const std::unique_ptr<Proposal>> group);
  // Writes the changes index of a log that was written before it existed, once.
  absl::Status IndexChanges();
  // Stages `events` (log, history and changes entries, folded effects) in `batch`.
  absl::Status Stage(const std::vector<v1::Event>& events, rocksdb::WriteBatchWithIndex* batch);

  Database* const database_;
  Folder* const folder_;

  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Proposal>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;

  struct Outcome {
    std::unique_ptr<Proposal> proposal;
    absl::Status status;
  };
  absl::Mutex delivery_mu_;
  std::deque<Outcome> outcomes_ ABSL_GUARDED_BY(delivery_mu_);
  bool committed_all_ ABSL_GUARDED_BY(delivery_mu_) = false;

  std::thread commit_thread_;
  std::thread delivery_thread_;
};

}  // namespace runledger

#endif  // RUNLEDGER_LOG_EVENT_LOG_H_
