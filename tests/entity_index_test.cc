// Unit tests of the entity/ordering-index key layout and the shared fold step
// (src/projections/entity_index.h), with the Results and Records projections' index keys.
#include "src/projections/entity_index.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/time_util.h"
#include "src/log/database.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::Result;
using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kFamily[] = "entities";

std::string Nul() { return std::string(1, '\0'); }

std::string Ordered(int64_t nanos) {
  std::string out;
  AppendOrderedNanos(nanos, &out);
  return out;
}

Result MakeResult(const std::string& name, const std::string& uid, int64_t created,
                  int64_t updated) {
  Result result;
  result.set_name(name);
  result.set_uid(uid);
  *result.mutable_create_time() = NanosToTimestamp(created);
  *result.mutable_update_time() = NanosToTimestamp(updated);
  return result;
}

TEST(EntityKeyTest, PrefixesTheName) { EXPECT_EQ(EntityKey("a/results/b"), "Na/results/b"); }

TEST(ScopeTest, EncodesAllAndParentScopes) {
  EXPECT_EQ(ScopeAll(), "A");
  EXPECT_EQ(ScopeParent("foo"), "Pfoo");
}

TEST(ScopeTest, AResultsRecordsShareTheirEntityKeyPrefix) {
  const std::string prefix = ResultRecordsPrefix("foo", "bar");
  EXPECT_EQ(prefix, "Nfoo/results/bar/records/");
  EXPECT_TRUE(absl::StartsWith(EntityKey("foo/results/bar/records/x"), prefix));
  EXPECT_FALSE(absl::StartsWith(EntityKey("foo/results/bar2/records/x"), prefix));
}

TEST(IndexKeyTest, UidKeysIgnoreTheTime) {
  EXPECT_EQ(IndexPrefix(SortField::kUid, "Pfoo"), "IuPfoo" + Nul());
  EXPECT_EQ(IndexKey(SortField::kUid, "Pfoo", 123, "uid-1"), "IuPfoo" + Nul() + "uid-1");
  EXPECT_EQ(IndexKey(SortField::kUid, "Pfoo", 0, "uid-1"),
            IndexKey(SortField::kUid, "Pfoo", 456, "uid-1"));
}

TEST(IndexKeyTest, TimeKeysHoldOrderedTimeThenUid) {
  EXPECT_EQ(IndexKey(SortField::kCreateTime, "A", 42, "u"), "IcA" + Nul() + Ordered(42) + "u");
  EXPECT_EQ(IndexPrefix(SortField::kUpdateTime, "A"), "ImA" + Nul());
  EXPECT_EQ(IndexPrefix(SortField::kSummaryStartTime, "A"), "IsA" + Nul());
  EXPECT_EQ(IndexPrefix(SortField::kSummaryEndTime, "A"), "IeA" + Nul());
}

TEST(IndexKeyTest, KeysSortByTimeThenUidWithMissingTimesLast) {
  const std::vector<std::pair<int64_t, std::string>> sorted = {
      {-5, "z"},           {0, "a"},           {0, "b"}, {7, "a"}, {1'700'000'000'000'000'000, "0"},
      {kMissingTime, "a"}, {kMissingTime, "b"}};
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(IndexKey(SortField::kCreateTime, "A", sorted[i].first, sorted[i].second),
              IndexKey(SortField::kCreateTime, "A", sorted[i + 1].first, sorted[i + 1].second))
        << i;
  }
}

TEST(IndexKeyTest, ScopeKeysDoNotShareAPrefixWithLongerScopes) {
  const std::string prefix = IndexPrefix(SortField::kUid, ScopeParent("foo"));
  EXPECT_FALSE(absl::StartsWith(IndexKey(SortField::kUid, ScopeParent("foo-bar"), 0, "u"), prefix));
  EXPECT_FALSE(absl::StartsWith(IndexKey(SortField::kUid, ScopeParent("fo"), 0, "u"), prefix));
  EXPECT_TRUE(absl::StartsWith(IndexKey(SortField::kUid, ScopeParent("foo"), 0, "u"), prefix));
}

TEST(ResultsIndexKeysTest, CoversEveryFieldInAllAndParentScopes) {
  Result result = MakeResult("p/results/r", "uid", 10, 20);
  result.mutable_summary()->mutable_start_time()->set_seconds(3);
  std::vector<std::string> keys = ResultsProjection::KeysOf(result.name(), result).index;
  EXPECT_THAT(keys, SizeIs(10));
  for (const std::string& scope : {ScopeAll(), ScopeParent("p")}) {
    EXPECT_THAT(keys,
                IsSupersetOf({IndexKey(SortField::kUid, scope, 0, "uid"),
                              IndexKey(SortField::kCreateTime, scope, 10, "uid"),
                              IndexKey(SortField::kUpdateTime, scope, 20, "uid"),
                              IndexKey(SortField::kSummaryStartTime, scope, 3'000'000'000, "uid"),
                              IndexKey(SortField::kSummaryEndTime, scope, kMissingTime, "uid")}));
  }
}

TEST(ResultsIndexKeysTest, MissingSummaryTimesUseTheMissingTime) {
  std::vector<std::string> keys =
      ResultsProjection::KeysOf("p/results/r", MakeResult("p/results/r", "u", 1, 1)).index;
  EXPECT_THAT(keys, Contains(IndexKey(SortField::kSummaryStartTime, "A", kMissingTime, "u")));
  EXPECT_THAT(keys, Not(Contains(IndexKey(SortField::kSummaryStartTime, "A", 0, "u"))));
}

TEST(RecordsIndexKeysTest, CoversEveryFieldInAllAndParentScopes) {
  v1::StoredRecord stored;
  Record& record = *stored.mutable_record();
  record.set_name("p/results/r/records/x");
  record.set_uid("uid");
  *record.mutable_create_time() = NanosToTimestamp(10);
  *record.mutable_update_time() = NanosToTimestamp(20);
  std::vector<std::string> keys = RecordsProjection::KeysOf(record.name(), stored).index;
  EXPECT_THAT(keys, SizeIs(6));
  for (const std::string& scope : {ScopeAll(), ScopeParent("p")}) {
    EXPECT_THAT(keys, IsSupersetOf({IndexKey(SortField::kUid, scope, 0, "uid"),
                                    IndexKey(SortField::kCreateTime, scope, 10, "uid"),
                                    IndexKey(SortField::kUpdateTime, scope, 20, "uid")}));
  }
}

// FoldEntity over a real column family.
class FoldEntityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir_.path(), {kFamily});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
  }

  // Folds `result` (or removes `name` when it is null) in one write.
  void Fold(const std::string& name, const Result* result) {
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, true);
    FoldState state(database_->db(), database_->family(kFamily), &batch);
    ASSERT_TRUE(FoldEntity(state, name, result, &ResultsProjection::KeysOf).ok());
    ASSERT_TRUE(database_->db()->Write(rocksdb::WriteOptions(), batch.GetWriteBatch()).ok());
  }

  std::map<std::string, std::string> Contents() {
    std::map<std::string, std::string> contents;
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kFamily)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      contents[it->key().ToString()] = it->value().ToString();
    }
    return contents;
  }

  // What the family must hold for exactly `results`.
  static std::map<std::string, std::string> Expected(const std::vector<Result>& results) {
    std::map<std::string, std::string> expected;
    for (const Result& r : results) {
      expected[EntityKey(r.name())] = SerializeDeterministic(r);
      const EntityKeys keys = ResultsProjection::KeysOf(r.name(), r);
      expected[keys.uid_key] = r.name();
      for (const std::string& key : keys.index) expected[key] = "";
    }
    return expected;
  }

  e2e::TempDir dir_;
  std::unique_ptr<Database> database_;
};

TEST_F(FoldEntityTest, StoresEntityAndIndex) {
  Result result = MakeResult("p/results/r", "u1", 10, 10);
  Fold(result.name(), &result);
  EXPECT_EQ(Contents(), Expected({result}));
}

TEST_F(FoldEntityTest, UpdateReplacesChangedIndexEntriesOnly) {
  Result other = MakeResult("q/results/s", "u2", 5, 5);
  Result result = MakeResult("p/results/r", "u1", 10, 10);
  Fold(other.name(), &other);
  Fold(result.name(), &result);
  *result.mutable_update_time() = NanosToTimestamp(30);
  result.mutable_summary()->mutable_end_time()->set_seconds(9);
  Fold(result.name(), &result);
  EXPECT_EQ(Contents(), Expected({other, result}));
}

TEST_F(FoldEntityTest, RemovalDeletesEntityAndIndex) {
  Result other = MakeResult("q/results/s", "u2", 5, 5);
  Result result = MakeResult("p/results/r", "u1", 10, 10);
  Fold(other.name(), &other);
  Fold(result.name(), &result);
  Fold(result.name(), nullptr);
  EXPECT_EQ(Contents(), Expected({other}));
}

TEST_F(FoldEntityTest, SeesEarlierEffectsOfTheSameBatch) {
  Result result = MakeResult("p/results/r", "u1", 10, 10);
  Result updated = result;
  *updated.mutable_update_time() = NanosToTimestamp(99);
  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, true);
  FoldState state(database_->db(), database_->family(kFamily), &batch);
  ASSERT_TRUE(FoldEntity(state, result.name(), &result, &ResultsProjection::KeysOf).ok());
  ASSERT_TRUE(FoldEntity(state, result.name(), &updated, &ResultsProjection::KeysOf).ok());
  ASSERT_TRUE(database_->db()->Write(rocksdb::WriteOptions(), batch.GetWriteBatch()).ok());
  // The first state's update_time entry must be gone: the second fold read the first's value.
  EXPECT_EQ(Contents(), Expected({updated}));
}

TEST_F(FoldEntityTest, UndecodableStoredStateIsDataLoss) {
  ASSERT_TRUE(database_->db()
                  ->Put(rocksdb::WriteOptions(), database_->family(kFamily),
                        EntityKey("p/results/r"), "\xff\xff")
                  .ok());
  Result result = MakeResult("p/results/r", "u1", 10, 10);
  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, true);
  FoldState state(database_->db(), database_->family(kFamily), &batch);
  EXPECT_EQ(FoldEntity(state, result.name(), &result, &ResultsProjection::KeysOf).code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace runledger
