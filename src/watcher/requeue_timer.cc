#include "src/watcher/requeue_timer.h"

#include <vector>

#include "absl/time/clock.h"

namespace runledger::watcher {

void RequeueTimer::Schedule(const std::string& key, absl::Duration after) {
  const absl::Time when = absl::Now() + after;
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = due_.emplace(key, when);
  if (!inserted) {
    if (it->second <= when) return;
    it->second = when;  // the older entry in order_ is skipped when it comes up
  }
  order_.emplace(when, key);
}

void RequeueTimer::Run(const absl::Notification& stop) {
  while (!stop.HasBeenNotified()) {
    std::vector<std::string> ready;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = absl::Now();
      while (!order_.empty() && order_.begin()->first <= now) {
        auto [when, key] = *order_.begin();
        order_.erase(order_.begin());
        auto it = due_.find(key);
        if (it == due_.end() || it->second != when) continue;
        due_.erase(it);
        ready.push_back(std::move(key));
      }
    }
    for (const std::string& key : ready) fire_(key);
    stop.WaitForNotificationWithTimeout(absl::Milliseconds(200));
  }
}

size_t RequeueTimer::scheduled() const {
  absl::MutexLock lock(&mu_);
  return due_.size();
}

}  // namespace runledger::watcher
