// BoundedPool: a fixed set of threads running submitted tasks in submission order, with a bounded
// backlog: Submit blocks while `capacity` tasks wait, so a fast producer (the controller's store
// workers) is slowed to the pace of its consumers (the Kubernetes patches) instead of queueing
// without bound. The destructor runs every task already submitted, then joins.
#ifndef RUNLEDGER_WATCHER_BOUNDED_POOL_H_
#define RUNLEDGER_WATCHER_BOUNDED_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace runledger::watcher {

class BoundedPool {
 public:
  BoundedPool(int threads, size_t capacity);
  ~BoundedPool();
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  void Submit(std::function<void()> task);
  // Whether a Submit now would block.
  bool Full();

 private:
  void Loop();

  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_BOUNDED_POOL_H_
