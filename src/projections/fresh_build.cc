#include "src/projections/fresh_build.h"

#include "absl/hash/hash.h"
#include "src/log/database.h"

namespace runledger {
namespace {

absl::Status SetAutoCompaction(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, bool on) {
  return FromRocks(db->SetOptions(family, {{"disable_auto_compactions", on ? "false" : "true"}}));
}

}  // namespace

absl::StatusOr<std::unique_ptr<FreshBuild>> FreshBuild::Start(rocksdb::DB* db,
                                                              rocksdb::ColumnFamilyHandle* family) {
  absl::Status s = SetAutoCompaction(db, family, false);
  if (!s.ok()) return s;
  return std::unique_ptr<FreshBuild>(new FreshBuild());
}

bool FreshBuild::FirstRead(absl::string_view key) { return read_.insert(absl::HashOf(key)).second; }

absl::Status FreshBuild::Finish(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  absl::Status s = FromRocks(db->CompactRange(options, family, nullptr, nullptr));
  return s.ok() ? SetAutoCompaction(db, family, true) : s;
}

}  // namespace runledger
