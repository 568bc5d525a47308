// Unit tests of the event log and its database (src/log/event_log.h, src/log/database.h): dense
// sequences under concurrent appends, reads, the per-entity history index, persistence across a
// reopen, and the Folder's effects landing in the same atomic write as the events.
#include "src/log/event_log.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/log/database.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr char kFoldFamily[] = "fold";

v1::Event MakeEvent(v1::EventKind kind, const std::string& name) {
  v1::Event event;
  event.set_kind(kind);
  event.set_name(name);
  event.set_source("test");
  event.mutable_time()->set_seconds(1700000000);
  return event;
}

// A batch of RESULT_UPDATED events named `<prefix>-0`, `<prefix>-1`, ...
std::vector<v1::Event> MakeEvents(const std::string& prefix, int n) {
  std::vector<v1::Event> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(MakeEvent(v1::RESULT_UPDATED, absl::StrCat(prefix, "-", i)));
  }
  return events;
}

std::vector<uint64_t> Sequences(const std::vector<v1::Event>& events) {
  std::vector<uint64_t> sequences;
  for (const v1::Event& e : events) sequences.push_back(e.sequence());
  return sequences;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// A Folder that records every group it sees and writes `LogKey(sequence) -> name` into the
// "fold" column family. It can be made to fail, or to block in its first call.
class RecordingFolder : public EventLog::Folder {
 public:
  absl::Status Fold(absl::Span<const v1::Event* const> events,
                    rocksdb::WriteBatchWithIndex* batch) override {
    if (block_first_ != nullptr && !blocked_once_) {
      blocked_once_ = true;
      entered_first_.Notify();
      block_first_->WaitForNotificationWithTimeout(absl::Seconds(10));
    }
    std::vector<uint64_t> group;
    for (const v1::Event* e : events) {
      group.push_back(e->sequence());
      rocksdb::Status s =
          batch->Put(database_->family(kFoldFamily), EventLog::LogKey(e->sequence()), e->name());
      if (!s.ok()) return FromRocks(s);
    }
    {
      absl::MutexLock lock(&mu_);
      groups_.push_back(std::move(group));
    }
    return fail_ ? absl::AbortedError("folder failed") : absl::OkStatus();
  }

  void set_database(Database* database) { database_ = database; }
  void set_fail(bool fail) { fail_ = fail; }
  void BlockFirstFold(absl::Notification* release) { block_first_ = release; }
  absl::Notification& entered_first() { return entered_first_; }
  std::vector<std::vector<uint64_t>> groups() {
    absl::MutexLock lock(&mu_);
    return groups_;
  }

 private:
  Database* database_ = nullptr;
  bool fail_ = false;
  absl::Notification* block_first_ = nullptr;
  bool blocked_once_ = false;
  absl::Notification entered_first_;
  absl::Mutex mu_;
  std::vector<std::vector<uint64_t>> groups_ ABSL_GUARDED_BY(mu_);
};

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // (Re)opens the database and the log over the same directory.
  void Open() {
    log_.reset();
    database_.reset();
    absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir_.path(), {kFoldFamily});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    folder_.set_database(database_.get());
    log_ = std::make_unique<EventLog>(database_.get(), &folder_);
    ASSERT_TRUE(log_->Open().ok());
  }

  std::vector<v1::Event> AppendOk(std::vector<v1::Event> events) {
    absl::Status s = log_->Append(&events);
    EXPECT_TRUE(s.ok()) << s;
    return events;
  }

  std::vector<v1::Event> ReadAll() {
    absl::StatusOr<std::vector<v1::Event>> events = log_->Read(1, 1 << 20);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<v1::Event>();
  }

  // Every key -> value of the fold column family.
  std::map<uint64_t, std::string> FoldedEntries() {
    std::map<uint64_t, std::string> entries;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kFoldFamily)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      entries[EventLog::DecodeLogKey(ToView(it->key()))] = it->value().ToString();
    }
    return entries;
  }

  e2e::TempDir dir_;
  RecordingFolder folder_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<EventLog> log_;
};

TEST(EventLogKeysTest, LogKeyIsBigEndianAndOrdered) {
  EXPECT_EQ(EventLog::LogKey(1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(EventLog::LogKey(0x0102030405060708), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_LT(EventLog::LogKey(255), EventLog::LogKey(256));
  EXPECT_EQ(EventLog::DecodeLogKey(EventLog::LogKey(123456789)), 123456789u);
}

TEST(EventLogKeysTest, HistoryKeyIsNameNulSequence) {
  EXPECT_EQ(EventLog::HistoryKey("a/results/b", 2),
            std::string("a/results/b\0", 12) + EventLog::LogKey(2));
}

TEST_F(EventLogTest, EmptyLogHasNoEvents) {
  EXPECT_EQ(log_->LastSequence(), 0u);
  EXPECT_TRUE(ReadAll().empty());
  EXPECT_EQ(log_->Get(1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EventLogTest, AppendAssignsDenseSequencesFromOne) {
  std::vector<v1::Event> first = AppendOk(MakeEvents("a", 3));
  EXPECT_THAT(Sequences(first), ElementsAre(1, 2, 3));
  EXPECT_EQ(log_->LastSequence(), 3u);
  std::vector<v1::Event> second = AppendOk(MakeEvents("b", 1));
  EXPECT_THAT(Sequences(second), ElementsAre(4));
  EXPECT_EQ(log_->LastSequence(), 4u);
  EXPECT_THAT(Sequences(ReadAll()), ElementsAre(1, 2, 3, 4));
}

TEST_F(EventLogTest, AppendOfNothingIsANoOp) {
  std::vector<v1::Event> none;
  EXPECT_TRUE(log_->Append(&none).ok());
  EXPECT_EQ(log_->LastSequence(), 0u);
  EXPECT_TRUE(folder_.groups().empty());
}

TEST_F(EventLogTest, ReadStartsAtAnySequenceAndHonoursTheLimit) {
  AppendOk(MakeEvents("a", 10));
  for (uint64_t from = 0; from <= 11; ++from) {
    absl::StatusOr<std::vector<v1::Event>> events = log_->Read(from, 100);
    ASSERT_TRUE(events.ok()) << events.status();
    EXPECT_THAT(Sequences(*events), ElementsAreArray(Range(std::max<uint64_t>(from, 1), 10)))
        << "from " << from;
  }
  absl::StatusOr<std::vector<v1::Event>> limited = log_->Read(4, 3);
  ASSERT_TRUE(limited.ok());
  EXPECT_THAT(Sequences(*limited), ElementsAre(4, 5, 6));
}

TEST_F(EventLogTest, GetReturnsTheStoredEvent) {
  std::vector<v1::Event> appended = AppendOk(MakeEvents("a", 3));
  for (const v1::Event& expected : appended) {
    absl::StatusOr<v1::Event> got = log_->Get(expected.sequence());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(e2e::ProtoEq(expected, *got));
  }
  EXPECT_EQ(log_->Get(4).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EventLogTest, EntitySequencesListsOnlyThatEntityInOrder) {
  const std::string result = "p/results/r";
  const std::string record = "p/results/r/records/x";
  const std::string sibling = "p/results/r2";
  AppendOk({MakeEvent(v1::RESULT_CREATED, result), MakeEvent(v1::RECORD_CREATED, record)});
  AppendOk({MakeEvent(v1::RESULT_CREATED, sibling)});
  AppendOk({MakeEvent(v1::RECORD_UPDATED, record), MakeEvent(v1::RESULT_UPDATED, result)});
  AppendOk({MakeEvent(v1::RECORD_DELETED, record), MakeEvent(v1::RESULT_DELETED, result)});

  auto sequences_of = [this](absl::string_view name) {
    absl::StatusOr<std::vector<uint64_t>> s = log_->EntitySequences(name);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::vector<uint64_t>();
  };
  EXPECT_THAT(sequences_of(result), ElementsAre(1, 5, 7));
  EXPECT_THAT(sequences_of(record), ElementsAre(2, 4, 6));
  EXPECT_THAT(sequences_of(sibling), ElementsAre(3));
  EXPECT_THAT(sequences_of("p/results"), ElementsAre());
  EXPECT_THAT(sequences_of("p/results/r/records/"), ElementsAre());
}

TEST_F(EventLogTest, ConcurrentAppendsGetEverySequenceOnceAndConsecutivePerAppend) {
  constexpr int kThreads = 16;
  constexpr int kAppendsPerThread = 200;
  // appended[t][i] holds the events of thread t's i-th append after it returned.
  std::vector<std::vector<std::vector<v1::Event>>> appended(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &appended] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        std::vector<v1::Event> events = MakeEvents(absl::StrCat("t", t, "-a", i), 1 + (t + i) % 3);
        absl::Status s = log_->Append(&events);
        ASSERT_TRUE(s.ok()) << s;
        appended[t].push_back(std::move(events));
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::map<uint64_t, std::string> by_sequence;  // what each appender was told
  for (const auto& per_thread : appended) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kAppendsPerThread));
    for (const std::vector<v1::Event>& events : per_thread) {
      for (size_t j = 0; j < events.size(); ++j) {
        EXPECT_EQ(events[j].sequence(), events[0].sequence() + j) << events[j].name();
        EXPECT_TRUE(by_sequence.emplace(events[j].sequence(), events[j].name()).second)
            << "sequence " << events[j].sequence() << " assigned twice";
      }
    }
  }
  const uint64_t total = by_sequence.size();
  EXPECT_EQ(by_sequence.begin()->first, 1u);
  EXPECT_EQ(by_sequence.rbegin()->first, total);
  EXPECT_EQ(log_->LastSequence(), total);

  std::vector<v1::Event> stored = ReadAll();
  ASSERT_EQ(stored.size(), total);
  for (const v1::Event& e : stored) EXPECT_EQ(e.name(), by_sequence[e.sequence()]);
  EXPECT_EQ(FoldedEntries(), by_sequence);
}

TEST_F(EventLogTest, AppendsQueuedBehindASlowWriteAllCommitDensely) {
  absl::Notification release;
  folder_.BlockFirstFold(&release);
  std::thread first([this] { AppendOk(MakeEvents("first", 1)); });
  ASSERT_TRUE(folder_.entered_first().WaitForNotificationWithTimeout(absl::Seconds(10)));
  constexpr int kQueued = 4;
  std::vector<std::vector<v1::Event>> queued(kQueued);
  std::vector<std::thread> threads;
  for (int i = 0; i < kQueued; ++i) {
    threads.emplace_back(
        [this, i, &queued] { queued[i] = AppendOk(MakeEvents(absl::StrCat("q", i), 2)); });
  }
  absl::SleepFor(absl::Milliseconds(100));  // let every appender queue behind the first
  EXPECT_EQ(log_->LastSequence(), 0u);      // nothing is acknowledged before its write
  release.Notify();
  first.join();
  for (std::thread& t : threads) t.join();

  std::vector<uint64_t> folded;
  for (const std::vector<uint64_t>& group : folder_.groups()) {
    folded.insert(folded.end(), group.begin(), group.end());
  }
  EXPECT_THAT(folded, ElementsAreArray(Range(1, 9)));
  for (const std::vector<v1::Event>& events : queued) {
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].sequence(), events[0].sequence() + 1);
  }
  EXPECT_EQ(log_->LastSequence(), 9u);
}

TEST_F(EventLogTest, ReopenKeepsLastSequenceAndAppendsContinueDensely) {
  AppendOk(MakeEvents("before", 5));
  Open();
  EXPECT_EQ(log_->LastSequence(), 5u);
  std::vector<v1::Event> after = AppendOk(MakeEvents("after", 2));
  EXPECT_THAT(Sequences(after), ElementsAre(6, 7));
  std::vector<v1::Event> all = ReadAll();
  EXPECT_THAT(Sequences(all), ElementsAreArray(Range(1, 7)));
  EXPECT_EQ(all[0].name(), "before-0");
  EXPECT_EQ(all[6].name(), "after-1");
}

TEST_F(EventLogTest, FolderSeesSequencedGroupsAndItsWritesLandWithTheEvents) {
  AppendOk(MakeEvents("a", 2));
  AppendOk(MakeEvents("b", 3));
  EXPECT_THAT(folder_.groups(), ElementsAre(ElementsAre(1, 2), ElementsAre(3, 4, 5)));
  EXPECT_EQ(FoldedEntries(), (std::map<uint64_t, std::string>{
                                 {1, "a-0"}, {2, "a-1"}, {3, "b-0"}, {4, "b-1"}, {5, "b-2"}}));
}

TEST_F(EventLogTest, FolderFailureWritesNothingAndKeepsSequencesDense) {
  AppendOk(MakeEvents("ok", 1));
  folder_.set_fail(true);
  std::vector<v1::Event> failed = MakeEvents("failed", 2);
  absl::Status s = log_->Append(&failed);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(s.message(), HasSubstr("folder failed"));
  EXPECT_EQ(log_->LastSequence(), 1u);
  EXPECT_THAT(Sequences(ReadAll()), ElementsAre(1));
  EXPECT_EQ(FoldedEntries().size(), 1u);
  absl::StatusOr<std::vector<uint64_t>> history = log_->EntitySequences("failed-0");
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());

  folder_.set_fail(false);
  std::vector<v1::Event> retried = AppendOk(MakeEvents("retried", 2));
  EXPECT_THAT(Sequences(retried), ElementsAre(2, 3));
  EXPECT_EQ(FoldedEntries().at(2), "retried-0");
}

TEST(DatabaseTest, OpensLogFamiliesAndRequestedProjectionFamilies) {
  e2e::TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir.path(), {"proj"});
  ASSERT_TRUE(database.ok()) << database.status();
  EXPECT_THAT((*database)->FamilyNames(),
              ElementsAre("changes", "default", "history", "log", "meta", "proj"));
  EXPECT_NE((*database)->family("proj"), nullptr);
  EXPECT_EQ((*database)->family("missing"), nullptr);
}

TEST(DatabaseTest, KeepsFamiliesFoundOnDiskOpen) {
  e2e::TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir.path(), {"old"});
    ASSERT_TRUE(database.ok()) << database.status();
    ASSERT_TRUE(
        (*database)->db()->Put(rocksdb::WriteOptions(), (*database)->family("old"), "k", "v").ok());
  }
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir.path(), {});
  ASSERT_TRUE(database.ok()) << database.status();
  ASSERT_NE((*database)->family("old"), nullptr);
  std::string value;
  ASSERT_TRUE(
      (*database)->db()->Get(rocksdb::ReadOptions(), (*database)->family("old"), "k", &value).ok());
  EXPECT_EQ(value, "v");
}

TEST(DatabaseTest, ResetFamilyDropsItsDataOnly) {
  e2e::TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> opened = Database::Open(dir.path(), {"a", "b"});
  ASSERT_TRUE(opened.ok()) << opened.status();
  Database& db = **opened;
  ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.family("a"), "k", "v").ok());
  ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.family("b"), "k", "v").ok());
  ASSERT_TRUE(db.ResetFamily("a").ok());
  std::string value;
  EXPECT_TRUE(db.db()->Get(rocksdb::ReadOptions(), db.family("a"), "k", &value).IsNotFound());
  EXPECT_TRUE(db.db()->Get(rocksdb::ReadOptions(), db.family("b"), "k", &value).ok());
  EXPECT_EQ(db.ResetFamily("missing").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace runledger
