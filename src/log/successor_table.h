// SuccessorTable: for every event of the log, the sequence of its entity's next event (the event
// that superseded it), kept in memory so that a pass over the log can tell whether an event still
// held its entity's state at the pass's snapshot without a seek in the history index per event.
//
// The table is built on first use by one key-only pass over the history index (keys of one
// entity are adjacent and in sequence order, event_log.h), then extended to the head each later
// pass reads at: one history seek per event appended since, once per event ever. Entries are
// 32-bit; an event whose successor does not fit (sequence ≥ 2^32 - 1) reads as unknown and the
// caller falls back to the history index.
//
// Invariant: once caught up to head H, every event ≤ H whose entity has a later event ≤ H holds
// that event's sequence; entries change only from 0 to the successor, so passes at any snapshot
// ≤ H read them without locks while the table grows.
#ifndef RUNLEDGER_LOG_SUCCESSOR_TABLE_H_
#define RUNLEDGER_LOG_SUCCESSOR_TABLE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "src/log/database.h"

namespace runledger {

class SuccessorTable {
 public:
  explicit SuccessorTable(const Database* database) : database_(database) {}

  // Brings the table up to `head`, reading the log and history under `options` (whose snapshot
  // must contain every event up to `head`).
  absl::Status CatchUp(uint64_t head, const rocksdb::ReadOptions& options);

  // Whether event `sequence` was still its entity's latest event at snapshot `head`, for a
  // `head` the table has caught up to; nullopt when the table cannot tell.
  std::optional<bool> IsLatest(uint64_t sequence, uint64_t head) const;

 private:
  static constexpr int kChunkBits = 16;
  static constexpr uint64_t kChunkSize = uint64_t{1} << kChunkBits;
  static constexpr uint64_t kMaxChunks = uint64_t{1} << 16;  // 2^32 events
  using Chunk = std::array<std::atomic<uint32_t>, kChunkSize>;

  std::atomic<uint32_t>* Entry(uint64_t sequence) const;
  void EnsureChunks(uint64_t head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Link(uint64_t sequence, uint64_t successor);
  absl::Status Build(uint64_t head, const rocksdb::ReadOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Extend(uint64_t head, const rocksdb::ReadOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Database* database_;
  absl::Mutex mu_;
  // Chunk pointers are published before `head_` moves past them and never move afterwards.
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_ =
      std::make_unique<std::atomic<Chunk*>[]>(kMaxChunks);
  std::atomic<uint64_t> head_{0};  // caught up to here
  bool built_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Chunk>> owned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger

#endif  // RUNLEDGER_LOG_SUCCESSOR_TABLE_H_
