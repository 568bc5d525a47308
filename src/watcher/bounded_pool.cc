#include "src/watcher/bounded_pool.h"

#include <utility>

namespace runledger::watcher {

BoundedPool::BoundedPool(int threads, size_t capacity) : capacity_(capacity) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

BoundedPool::~BoundedPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void BoundedPool::Submit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return tasks_.size() < capacity_; };
  mu_.Await(absl::Condition(&has_room));
  tasks_.push_back(std::move(task));
}

bool BoundedPool::Full() {
  absl::MutexLock lock(&mu_);
  return tasks_.size() >= capacity_;
}

void BoundedPool::Loop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !tasks_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (tasks_.empty()) return;  // stopping, nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace runledger::watcher
