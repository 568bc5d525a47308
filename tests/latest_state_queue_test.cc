// Unit tests of the watcher's per-object work queue (src/watcher/latest_state_queue.h): the
// latest state wins, a key being processed is never handed out twice, failures come back after
// a doubling, capped backoff, and Take wakes for new work and for shutdown.
#include "src/watcher/latest_state_queue.h"

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace runledger::watcher {
namespace {

using Queue = LatestStateQueue<int>;

Queue::Options NoBackoff() { return {absl::ZeroDuration(), absl::ZeroDuration()}; }
Queue::Options LongBackoff() { return {absl::Hours(1), absl::Hours(1)}; }

TEST(LatestStateQueueTest, TenChangesWhileQueuedAreHandedOutOnceWithTheLast) {
  Queue queue;
  for (int i = 1; i <= 10; ++i) queue.Put("a", i);
  queue.Put("b", 100);
  EXPECT_EQ(queue.waiting(), 2u);
  std::optional<Queue::Item> a = queue.TryTake();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->key, "a");
  EXPECT_EQ(a->state, 10);
  EXPECT_EQ(a->failures, 0);
  std::optional<Queue::Item> b = queue.TryTake();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->key, "b");
  EXPECT_FALSE(queue.TryTake().has_value());
}

TEST(LatestStateQueueTest, KeysComeOutInFirstComeOrder) {
  Queue queue;
  for (const char* key : {"c", "a", "b"}) queue.Put(key, 0);
  queue.Put("c", 1);  // an update keeps the key's place
  std::vector<std::string> order;
  while (std::optional<Queue::Item> item = queue.TryTake()) order.push_back(item->key);
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a", "b"}));
}

TEST(LatestStateQueueTest, AKeyInProcessIsNotHandedOutAgainUntilDone) {
  Queue queue;
  queue.Put("a", 1);
  ASSERT_EQ(queue.TryTake()->state, 1);
  queue.Put("a", 2);
  queue.Put("a", 3);
  EXPECT_FALSE(queue.TryTake().has_value());
  queue.Done("a");
  std::optional<Queue::Item> again = queue.TryTake();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state, 3);
  queue.Done("a");
  EXPECT_FALSE(queue.TryTake().has_value());
  EXPECT_EQ(queue.waiting(), 0u);
}

TEST(LatestStateQueueTest, RetryHandsTheFailedStateOutAgainCountingFailures) {
  Queue queue(NoBackoff());
  queue.Put("a", 1);
  for (int failures = 0; failures < 3; ++failures) {
    std::optional<Queue::Item> item = queue.TryTake();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->state, 1);
    EXPECT_EQ(item->failures, failures);
    queue.Retry(item->key, item->state);
  }
  ASSERT_EQ(queue.TryTake()->failures, 3);
  queue.Done("b");  // a key nobody holds: ignored
  queue.Done("a");  // success resets the failure count
  queue.Put("a", 5);
  std::optional<Queue::Item> fresh = queue.TryTake();
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->state, 5);
  EXPECT_EQ(fresh->failures, 0);
}

TEST(LatestStateQueueTest, RetryKeepsANewerStateAndWaitsOutTheBackoff) {
  Queue queue(LongBackoff());
  queue.Put("a", 1);
  std::optional<Queue::Item> item = queue.TryTake();
  queue.Put("a", 2);  // arrives while the worker fails on 1
  queue.Retry("a", item->state);
  queue.Put("a", 3);  // does not cut the backoff short
  EXPECT_FALSE(queue.TryTake().has_value());
  EXPECT_EQ(queue.waiting(), 1u);
  queue.Put("b", 1);
  EXPECT_EQ(queue.TryTake()->key, "b");  // other keys are not held up
}

TEST(LatestStateQueueTest, BackoffDoublesUpToTheCap) {
  const Queue::Options options{absl::Milliseconds(100), absl::Seconds(1)};
  EXPECT_EQ(Queue::Backoff(1, options), absl::Milliseconds(100));
  EXPECT_EQ(Queue::Backoff(2, options), absl::Milliseconds(200));
  EXPECT_EQ(Queue::Backoff(4, options), absl::Milliseconds(800));
  EXPECT_EQ(Queue::Backoff(5, options), absl::Seconds(1));
  EXPECT_EQ(Queue::Backoff(1000, options), absl::Seconds(1));
}

TEST(LatestStateQueueTest, TakeWakesForWorkAndForShutdown) {
  Queue queue;
  std::optional<Queue::Item> taken;
  std::thread worker([&] { taken = queue.Take(); });
  queue.Put("a", 7);
  worker.join();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->state, 7);

  absl::Notification stopped;
  std::thread idle([&] {
    EXPECT_FALSE(queue.Take().has_value());
    stopped.Notify();
  });
  queue.ShutDown();
  idle.join();
  EXPECT_TRUE(stopped.HasBeenNotified());
}

TEST(LatestStateQueueTest, ConcurrentWorkersNeverHoldOneKeyTwice) {
  Queue queue;
  constexpr int kKeys = 20;
  constexpr int kPuts = 200;
  absl::Mutex mu;
  std::set<std::string> held;
  bool overlap = false;
  std::map<std::string, int> last_seen;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (std::optional<Queue::Item> item = queue.Take()) {
        {
          absl::MutexLock lock(&mu);
          overlap |= !held.insert(item->key).second;
          last_seen[item->key] = item->state;
        }
        std::this_thread::yield();
        {
          absl::MutexLock lock(&mu);
          held.erase(item->key);
        }
        queue.Done(item->key);
      }
    });
  }
  for (int i = 0; i < kPuts; ++i) {
    for (int k = 0; k < kKeys; ++k) queue.Put("k" + std::to_string(k), i);
  }
  // Every key is eventually handed out with its last state.
  for (bool settled = false; !settled;) {
    std::this_thread::yield();
    absl::MutexLock lock(&mu);
    settled = queue.waiting() == 0 && held.empty() && last_seen.size() == kKeys;
    for (const auto& [key, state] : last_seen) settled &= state == kPuts - 1;
  }
  queue.ShutDown();
  for (std::thread& worker : workers) worker.join();
  EXPECT_FALSE(overlap);
}

}  // namespace
}  // namespace runledger::watcher
