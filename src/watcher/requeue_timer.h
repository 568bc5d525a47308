// RequeueTimer: looks at an object again after a delay (a completed run whose grace period has
// not passed, a finalizer waiting for the forward buffer, a PipelineRun whose children are not
// stored yet). Keeps only keys and times, never objects: when a key's time comes, `fire` fetches
// the object's current state.
//
// Invariant: a key is scheduled at most once, at the earliest time asked for; a key fires once
// per Schedule that was not superseded by an earlier one.
#ifndef RUNLEDGER_WATCHER_REQUEUE_TIMER_H_
#define RUNLEDGER_WATCHER_REQUEUE_TIMER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace runledger::watcher {

class RequeueTimer {
 public:
  using Fire = std::function<void(const std::string& key)>;

  explicit RequeueTimer(Fire fire) : fire_(std::move(fire)) {}

  void Schedule(const std::string& key, absl::Duration after);

  // Fires due keys on the calling thread until `stop` is notified.
  void Run(const absl::Notification& stop);

  size_t scheduled() const;

 private:
  const Fire fire_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> due_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, std::string> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_REQUEUE_TIMER_H_
