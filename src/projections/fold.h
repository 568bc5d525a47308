// Fold: the step every projection takes, whether it follows the log or is rebuilt from it:
// folding a chunk of events into the projection's column family, the effects and the new
// checkpoint in one batch (projection.h).
//
// A chunk's effects go to the family in one of two atomic ways, checkpoint included: a batch
// written without WAL (a crash loses only effects that are lost together with their checkpoint:
// same column family, same memtable; the fold then resumes from the checkpoint that did reach
// disk), or, when they are many (rebuilds, long catch-ups), a table file ingested into the
// family, durable once ingested. What must be durable at a given point (a finished rebuild, a
// generation about to serve) is made so by flushing its family (FlushFamilies).
#ifndef RUNLEDGER_PROJECTIONS_FOLD_H_
#define RUNLEDGER_PROJECTIONS_FOLD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "src/log/event_log.h"
#include "src/projections/projection.h"

namespace runledger {

// One projection and the family it folds into.
struct FoldTarget {
  Projection* projection;
  rocksdb::ColumnFamilyHandle* family;
  uint64_t checkpoint;  // the last event folded; FoldChunk advances it
  // Set while the family is built from empty in this process (fresh_build.h); the owner calls
  // FreshBuild::Finish once the build is done.
  FreshBuild* fresh = nullptr;
};

// Called after every chunk with (events folded so far, events to fold in all).
using FoldProgress = std::function<void(uint64_t done, uint64_t total)>;

// Folds the events of `events` (in order) that come after each target's checkpoint into that
// target: one batch per target, written without WAL; the targets fold on threads of their own.
// A target whose batch is written gets its checkpoint advanced and Committed() called; one
// whose batch is dropped is reloaded (Projection::Load). Returns the first error.
absl::Status FoldChunk(rocksdb::DB* db, absl::Span<const v1::Event> events,
                       absl::Span<FoldTarget> targets);

// Folds every target up to `head`, reading the log once for all of them in chunks of
// `chunk_events`. Stops early (OK) once `max_chunks` chunks are folded, or (Cancelled) when
// `stop` becomes true.
struct CatchUpOptions {
  size_t chunk_events = 4096;
  size_t max_chunks = SIZE_MAX;
  FoldProgress progress;
  const std::atomic<bool>* stop = nullptr;
};
absl::Status CatchUpTargets(rocksdb::DB* db, const EventLog& log, uint64_t head,
                            absl::Span<FoldTarget> targets, const CatchUpOptions& options);

// Flushes the memtables of `families` to disk and waits: every batch written to them before is
// then durable, WAL or not.
absl::Status FlushFamilies(rocksdb::DB* db,
                           const std::vector<rocksdb::ColumnFamilyHandle*>& families);

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_FOLD_H_
