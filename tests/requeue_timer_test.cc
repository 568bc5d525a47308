#include "src/watcher/requeue_timer.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/watcher/bounded_pool.h"

namespace runledger::watcher {
namespace {

using ::testing::ElementsAre;

TEST(RequeueTimerTest, FiresEachKeyOnceAtItsEarliestTime) {
  absl::Mutex mu;
  std::vector<std::string> fired;
  RequeueTimer timer([&](const std::string& key) {
    absl::MutexLock lock(&mu);
    fired.push_back(key);
  });
  timer.Schedule("late", absl::Milliseconds(600));
  timer.Schedule("a", absl::Hours(1));
  timer.Schedule("a", absl::Milliseconds(100));  // earlier wins
  timer.Schedule("a", absl::Milliseconds(900));  // later is ignored
  EXPECT_EQ(timer.scheduled(), 2u);
  absl::Notification stop;
  std::thread runner([&] { timer.Run(stop); });
  {
    absl::MutexLock lock(&mu);
    auto two = [&fired] { return fired.size() >= 2; };
    mu.AwaitWithTimeout(absl::Condition(&two), absl::Seconds(10));
  }
  absl::SleepFor(absl::Milliseconds(1000));
  stop.Notify();
  runner.join();
  EXPECT_THAT(fired, ElementsAre("a", "late"));
  EXPECT_EQ(timer.scheduled(), 0u);
}

TEST(BoundedPoolTest, RunsEverySubmittedTaskAndBlocksWhenFull) {
  std::atomic<int> done{0};
  absl::Notification release;
  {
    BoundedPool pool(1, 2);
    pool.Submit([&] {
      release.WaitForNotification();
      ++done;
    });
    pool.Submit([&] { ++done; });
    pool.Submit([&] { ++done; });  // the one thread is busy: two wait, the backlog is full
    std::atomic<bool> fourth_submitted{false};
    std::thread submitter([&] {
      pool.Submit([&] { ++done; });
      fourth_submitted = true;
    });
    absl::SleepFor(absl::Milliseconds(200));
    EXPECT_FALSE(fourth_submitted);
    release.Notify();
    submitter.join();
    EXPECT_TRUE(fourth_submitted);
  }  // the destructor runs what is left
  EXPECT_EQ(done, 4);
}

}  // namespace
}  // namespace runledger::watcher
