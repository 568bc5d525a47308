// Unit tests of the successor table (src/log/successor_table.h): built from the history index,
// extended one appended event at a time, it must tell for every event and every head whether
// the event was still its entity's latest, exactly as the history index does.
#include "src/log/successor_table.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/log/event_log.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

class SuccessorTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = Database::Open(dir_.path(), {});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
  }

  // Appends an event of entity `name` to the log and its history index, as EventLog does.
  void Append(const std::string& name) {
    const uint64_t sequence = names_.size() + 1;
    v1::Event event;
    event.set_sequence(sequence);
    event.set_kind(v1::RECORD_UPDATED);
    event.set_name(name);
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch
                    .Put(database_->family(kLogFamily), EventLog::LogKey(sequence),
                         event.SerializeAsString())
                    .ok());
    ASSERT_TRUE(
        batch.Put(database_->family(kHistoryFamily), EventLog::HistoryKey(name, sequence), "")
            .ok());
    ASSERT_TRUE(database_->db()->Write(rocksdb::WriteOptions(), &batch).ok());
    names_.push_back(name);
  }

  // Whether event `sequence` was its entity's latest at `head`, by brute force.
  bool LatestByModel(uint64_t sequence, uint64_t head) const {
    for (uint64_t later = sequence + 1; later <= head; ++later) {
      if (names_[later - 1] == names_[sequence - 1]) return false;
    }
    return true;
  }

  void ExpectAgreesWithModel(const SuccessorTable& table, uint64_t caught_up) {
    for (uint64_t head = 1; head <= caught_up; ++head) {
      for (uint64_t sequence = 1; sequence <= head; ++sequence) {
        ASSERT_EQ(table.IsLatest(sequence, head), std::optional(LatestByModel(sequence, head)))
            << "event " << sequence << " at head " << head;
      }
    }
  }

  e2e::TempDir dir_;
  std::unique_ptr<Database> database_;
  std::vector<std::string> names_;  // names_[s - 1] is the entity of event s
};

TEST_F(SuccessorTableTest, BuildsFromHistoryThenExtendsWithNewEvents) {
  std::mt19937 random(7);
  auto some_name = [&] { return "ns/results/r/records/x" + std::to_string(random() % 12); };
  for (int i = 0; i < 80; ++i) Append(some_name());
  SuccessorTable table(database_.get());
  ASSERT_TRUE(table.CatchUp(80, rocksdb::ReadOptions()).ok());
  ExpectAgreesWithModel(table, 80);

  for (int i = 0; i < 70; ++i) Append(some_name());
  ASSERT_TRUE(table.CatchUp(150, rocksdb::ReadOptions()).ok());
  ExpectAgreesWithModel(table, 150);
}

TEST_F(SuccessorTableTest, CannotTellBeyondWhereItCaughtUp) {
  Append("a/results/r/records/x");
  Append("a/results/r/records/x");
  SuccessorTable table(database_.get());
  EXPECT_EQ(table.IsLatest(1, 1), std::nullopt);
  ASSERT_TRUE(table.CatchUp(1, rocksdb::ReadOptions()).ok());
  EXPECT_EQ(table.IsLatest(1, 1), std::optional(true));
  EXPECT_EQ(table.IsLatest(1, 2), std::nullopt);
}

TEST_F(SuccessorTableTest, ReadsUnderTheSnapshotItIsGiven) {
  Append("a/results/r/records/x");
  const rocksdb::Snapshot* snapshot = database_->db()->GetSnapshot();
  Append("a/results/r/records/x");
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  SuccessorTable table(database_.get());
  ASSERT_TRUE(table.CatchUp(1, options).ok());
  EXPECT_EQ(table.IsLatest(1, 1), std::optional(true));
  database_->db()->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(table.CatchUp(2, rocksdb::ReadOptions()).ok());
  EXPECT_EQ(table.IsLatest(1, 2), std::optional(false));
  EXPECT_EQ(table.IsLatest(1, 1), std::optional(true));
  EXPECT_EQ(table.IsLatest(2, 2), std::optional(true));
}

}  // namespace
}  // namespace runledger
