// ThreadPool: a fixed set of threads running queued tasks in FIFO order. The server runs
// blocking work (writes that wait for the group commit's fsync) here, off gRPC's own threads.
#ifndef RUNLEDGER_COMMON_THREAD_POOL_H_
#define RUNLEDGER_COMMON_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace runledger {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // Runs every task already queued, then joins the threads.
  ~ThreadPool();

  void Schedule(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_THREAD_POOL_H_
