// Unit tests of FreshBuild (src/projections/fresh_build.h): first reads, and the family's
// compaction held off until Finish.
#include "src/projections/fresh_build.h"

#include <string>

#include "gtest/gtest.h"
#include "src/log/database.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

std::string Property(Database& database, absl::string_view family, const std::string& name) {
  std::string value;
  EXPECT_TRUE(database.db()->GetProperty(database.family(family), name, &value));
  return value;
}

TEST(FreshBuildTest, OnlyTheFirstReadOfAKeyIsFirst) {
  e2e::TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir.path(), {"p"});
  ASSERT_TRUE(database.ok()) << database.status();
  absl::StatusOr<std::unique_ptr<FreshBuild>> fresh =
      FreshBuild::Start((*database)->db(), (*database)->family("p"));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE((*fresh)->FirstRead("Na/results/r"));
  EXPECT_FALSE((*fresh)->FirstRead("Na/results/r"));
  EXPECT_TRUE((*fresh)->FirstRead("Na/results/s"));
  EXPECT_FALSE((*fresh)->FirstRead("Na/results/r"));
}

TEST(FreshBuildTest, CompactionWaitsForFinish) {
  e2e::TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir.path(), {"p"});
  ASSERT_TRUE(database.ok()) << database.status();
  Database& db = **database;
  absl::StatusOr<std::unique_ptr<FreshBuild>> fresh = FreshBuild::Start(db.db(), db.family("p"));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  // More level-0 files than the trigger of an automatic compaction (4).
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.family("p"), "k", std::to_string(i)).ok());
    ASSERT_TRUE(db.db()->Flush(rocksdb::FlushOptions(), db.family("p")).ok());
  }
  EXPECT_EQ(Property(db, "p", "rocksdb.num-files-at-level0"), "6");
  ASSERT_TRUE((*fresh)->Finish(db.db(), db.family("p")).ok());
  EXPECT_EQ(Property(db, "p", "rocksdb.num-files-at-level0"), "0");
  std::string value;
  ASSERT_TRUE(db.db()->Get(rocksdb::ReadOptions(), db.family("p"), "k", &value).ok());
  EXPECT_EQ(value, "5");
}

}  // namespace
}  // namespace runledger
