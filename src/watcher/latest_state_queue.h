// LatestStateQueue: the watcher's per-object work queue, where the latest state wins. Watch
// events Put an object's state under its key; workers Take a key with the latest state Put for
// it, store it, and report Done or Retry.
//
// Invariants:
//   - A key is waiting at most once, holding only the latest state Put for it: an object that
//     changes ten times while it waits is handed out once, with its last state.
//   - A key handed out is not handed out again until its worker reports Done or Retry; a state
//     Put meanwhile waits and is handed out after that report, so two workers never hold one
//     object at the same time.
//   - Retry hands the key out again after a backoff of base * 2^(failures - 1), capped at max,
//     with the latest state (the failed one unless a newer one was Put meanwhile); Done resets
//     the failure count. A Put never shortens a backoff.
//   - Keys become ready in first-come order; a backing-off key is ready when its time comes.
#ifndef RUNLEDGER_WATCHER_LATEST_STATE_QUEUE_H_
#define RUNLEDGER_WATCHER_LATEST_STATE_QUEUE_H_

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace runledger::watcher {

template <typename T>
class LatestStateQueue {
 public:
  struct Options {
    absl::Duration base_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Minutes(5);
  };

  struct Item {
    std::string key;
    T state;
    // Consecutive failures of this key so far (0 on a first attempt).
    int failures = 0;
  };

  explicit LatestStateQueue(Options options = {}) : options_(options) {}

  // The wait before the next attempt after `failures` consecutive failures (>= 1).
  static absl::Duration Backoff(int failures, const Options& options) {
    absl::Duration wait = options.base_backoff;
    for (int i = 1; i < failures && wait < options.max_backoff; ++i) wait *= 2;
    return std::min(wait, options.max_backoff);
  }

  void Put(const std::string& key, T state) {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[key];
    entry.state = std::move(state);
    if (!entry.processing && !entry.waiting) MakeReady(key, &entry);
  }

  // Waits until a key is ready and hands it out; nullopt once ShutDown has been called.
  std::optional<Item> Take() {
    absl::MutexLock lock(&mu_);
    while (!shut_down_) {
      PromoteDue(absl::Now());
      if (!ready_.empty()) return HandOut();
      const absl::Time deadline =
          delayed_.empty() ? absl::InfiniteFuture() : delayed_.begin()->first;
      mu_.AwaitWithDeadline(absl::Condition(this, &LatestStateQueue::Wakeable), deadline);
    }
    return std::nullopt;
  }

  // Hands out a key that is ready now, if there is one.
  std::optional<Item> TryTake() {
    absl::MutexLock lock(&mu_);
    PromoteDue(absl::Now());
    if (shut_down_ || ready_.empty()) return std::nullopt;
    return HandOut();
  }

  // The worker holding `key` has stored its state.
  void Done(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || !it->second.processing) return;
    Entry& entry = it->second;
    entry.processing = false;
    entry.failures = 0;
    if (entry.state.has_value()) {
      MakeReady(key, &entry);
    } else {
      entries_.erase(it);
    }
  }

  // The worker holding `key` failed to store `failed_state`; try again after the backoff.
  void Retry(const std::string& key, T failed_state) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || !it->second.processing) return;
    Entry& entry = it->second;
    entry.processing = false;
    if (!entry.state.has_value()) entry.state = std::move(failed_state);
    ++entry.failures;
    entry.waiting = true;
    delayed_.emplace(absl::Now() + Backoff(entry.failures, options_), key);
  }

  // Wakes every Take, which returns nullopt from now on.
  void ShutDown() {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
  }

  // Keys waiting (ready or backing off), not counting those being processed.
  size_t waiting() const {
    absl::MutexLock lock(&mu_);
    return ready_.size() + delayed_.size();
  }

 private:
  struct Entry {
    std::optional<T> state;  // the latest state not yet handed out
    bool processing = false;
    bool waiting = false;  // in ready_ or delayed_
    int failures = 0;
  };

  bool Wakeable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return shut_down_ || !ready_.empty() ||
           (!delayed_.empty() && delayed_.begin()->first <= absl::Now());
  }

  void MakeReady(const std::string& key, Entry* entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    entry->waiting = true;
    ready_.push_back(key);
  }

  void PromoteDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      ready_.push_back(std::move(delayed_.begin()->second));
      delayed_.erase(delayed_.begin());
    }
  }

  Item HandOut() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string key = std::move(ready_.front());
    ready_.pop_front();
    Entry& entry = entries_[key];
    entry.waiting = false;
    entry.processing = true;
    Item item{std::move(key), std::move(*entry.state), entry.failures};
    entry.state.reset();
    return item;
  }

  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, std::string> delayed_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_LATEST_STATE_QUEUE_H_
