// ProjectionWorker: folds a ProjectionSet behind the log on a thread of its own, for projections
// that are not folded inline with every append (indexes, summaries).
//
// The worker repeatedly catches its set up to the head of the log (ProjectionSet::CatchUp, which
// writes each chunk's effects and checkpoints in one batch) and then waits for the next append.
// Invariant: folded() never exceeds what is written, so a reader that waits for
// AwaitFolded(s) sees the effects of every event up to s.
#ifndef RUNLEDGER_PROJECTIONS_PROJECTION_WORKER_H_
#define RUNLEDGER_PROJECTIONS_PROJECTION_WORKER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/log/event_log.h"
#include "src/projections/projection_set.h"

namespace runledger {

class ProjectionWorker {
 public:
  // `set` and `log` must outlive the worker.
  ProjectionWorker(ProjectionSet* set, const EventLog* log) : set_(set), log_(log) {}
  // Stops the thread; what is folded so far stays folded.
  ~ProjectionWorker();

  void Start();

  // Waits up to `timeout` until every event up to `sequence` is folded; true if it is.
  bool AwaitFolded(uint64_t sequence, absl::Duration timeout) const;

  // The sequence of the last event every projection of the set has folded.
  uint64_t folded() const;

 private:
  void Run();
  // The lowest checkpoint of the set.
  absl::StatusOr<uint64_t> LowestCheckpoint() const;

  ProjectionSet* const set_;
  const EventLog* const log_;
  mutable absl::Mutex mu_;
  uint64_t folded_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_PROJECTION_WORKER_H_
