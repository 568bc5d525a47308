// Exponential backoff with jitter for retrying a remote call: the n-th delay since the last
// Reset() is drawn uniformly from [d/2, d] with d = min(initial * 2^n, max), so that many
// clients that failed together do not retry together.
#ifndef RUNLEDGER_WATCHER_BACKOFF_H_
#define RUNLEDGER_WATCHER_BACKOFF_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace runledger::watcher {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}

  // The next delay; each call doubles the ceiling until it reaches `max`.
  absl::Duration Next();
  // After a success: the next delay starts from `initial` again.
  void Reset() { ceiling_ = absl::ZeroDuration(); }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration ceiling_;  // of the previous delay; zero after Reset
  absl::BitGen random_;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_BACKOFF_H_
