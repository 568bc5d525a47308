#include "src/log/database.h"

#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_buffer_manager.h"

namespace runledger {

absl::Status FromRocks(const rocksdb::Status& status) {
  if (status.ok()) return absl::OkStatus();
  if (status.IsNotFound()) return absl::NotFoundError(status.ToString());
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(status.ToString());
  if (status.IsBusy() || status.IsTryAgain()) return absl::UnavailableError(status.ToString());
  return absl::InternalError(absl::StrCat("rocksdb: ", status.ToString()));
}

rocksdb::ColumnFamilyOptions Database::FamilyOptions(absl::string_view name) const {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache_;
  table.format_version = 5;
  // A point read decompresses one whole block, a pass over the log every block: each block costs a
  // fixed ~2 us to fetch and decompress besides its bytes, so 16 KiB log blocks (about four events)
  // make a pass ~12% cheaper than 8 KiB ones for +2.5 us per GetRecord, and compress 5% smaller
  // with the per-file dictionary (bench/RESULTS.md, session 5).
  table.block_size = 16 << 10;
  if (name != kLogFamily) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index, filter and compression-dictionary blocks stay pinned in the cache: a point read
  // that had to fetch (and, for a dictionary, re-digest) them would cost more than the data.
  table.cache_index_and_filter_blocks = true;
  table.metadata_cache_options.top_level_index_pinning = rocksdb::PinningTier::kAll;
  table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;

  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (name == kLogFamily) {
    // Sequence keys only ever append, so SST files move down the levels without being rewritten:
    // each event is compressed exactly once, at flush, and that once should be ZSTD.
    // A dictionary of 64 KiB of events sampled from each file lets small blocks (cheap to
    // decompress for a point read) compress well. It is raw content, not a trained dictionary:
    // Debian's RocksDB cannot keep a digested dictionary, so a trained one has its entropy tables
    // rebuilt for every block read, which made point reads 13% slower and passes over the log 20%
    // slower for 14% fewer bytes (bench/RESULTS.md), and training costs CPU at every flush.
    cf.compression = rocksdb::kZSTD;
    cf.compression_opts.level = 3;
    cf.compression_opts.max_dict_bytes = 64 << 10;
    cf.compression_opts.zstd_max_train_bytes = 0;
  } else {
    // Index and state keys arrive in random order and get rewritten by compaction: cheap LZ4
    // on the way down, ZSTD where the data comes to rest.
    cf.compression = rocksdb::kLZ4Compression;
    cf.bottommost_compression = rocksdb::kZSTD;
    cf.bottommost_compression_opts.level = 3;
    cf.bottommost_compression_opts.enabled = true;
  }
  cf.write_buffer_size = (name == kLogFamily) ? 32 << 20 : 16 << 20;
  cf.level_compaction_dynamic_level_bytes = true;
  return cf;
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& dir, const std::vector<std::string>& projection_families,
    const Options& options) {
  std::set<std::string> names = {rocksdb::kDefaultColumnFamilyName, std::string(kLogFamily),
                                 std::string(kHistoryFamily), std::string(kChangesFamily),
                                 std::string(kMetaFamily)};
  names.insert(projection_families.begin(), projection_families.end());
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &existing).ok()) {
    names.insert(existing.begin(), existing.end());
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.max_total_wal_size = 256 << 20;
  // Writes come from a few threads (the log's commit thread, the folds behind the log), and
  // serial inserts let a memtable resume each search where the last key went: batches written
  // in key order (every fold, fold.cc) go in several times faster.
  db_options.allow_concurrent_memtable_write = false;
  // One memtable budget for every column family, so memory stays bounded however many exist.
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.memtable_bytes);

  std::unique_ptr<Database> database(new Database());
  database->cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, database->FamilyOptions(name));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s);

  database->db_.reset(raw);
  const std::string scratch = ScratchDir(*raw);
  std::error_code error;
  std::filesystem::remove_all(scratch, error);
  if (!error) std::filesystem::create_directories(scratch, error);
  if (error) return absl::InternalError(absl::StrCat(scratch, ": ", error.message()));
  absl::MutexLock lock(&database->mu_);
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    database->families_[handle->GetName()] = database->Share(handle);
  }
  return database;
}

std::shared_ptr<rocksdb::ColumnFamilyHandle> Database::Share(
    rocksdb::ColumnFamilyHandle* handle) const {
  rocksdb::DB* db = db_.get();
  return std::shared_ptr<rocksdb::ColumnFamilyHandle>(
      handle, [db](rocksdb::ColumnFamilyHandle* h) { db->DestroyColumnFamilyHandle(h); });
}

Database::~Database() {
  if (!db_) return;
  {
    absl::MutexLock lock(&mu_);
    families_.clear();
  }
  db_->Close();
}

rocksdb::ColumnFamilyHandle* Database::family(absl::string_view name) const {
  return SharedFamily(name).get();
}

std::shared_ptr<rocksdb::ColumnFamilyHandle> Database::SharedFamily(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second;
}

absl::Status Database::CreateFamily(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  if (families_.count(name)) return absl::OkStatus();
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  rocksdb::Status s = db_->CreateColumnFamily(FamilyOptions(name), std::string(name), &handle);
  if (!s.ok()) return FromRocks(s);
  families_[std::string(name)] = Share(handle);
  return absl::OkStatus();
}

absl::Status Database::DropFamily(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return absl::NotFoundError(absl::StrCat("no column family ", name));
  rocksdb::Status s = db_->DropColumnFamily(it->second.get());
  if (!s.ok()) return FromRocks(s);
  families_.erase(it);
  return absl::OkStatus();
}

absl::Status Database::ResetFamily(absl::string_view name) {
  absl::Status s = DropFamily(name);
  return s.ok() ? CreateFamily(name) : s;
}

absl::Status Database::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  absl::MutexLock lock(&mu_);
  for (auto& [name, handle] : families_) {
    absl::Status s = FromRocks(db_->CompactRange(options, handle.get(), nullptr, nullptr));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string Database::ScratchDir(const rocksdb::DB& db) { return db.GetName() + "/scratch"; }

std::vector<std::string> Database::FamilyNames() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, handle] : families_) names.push_back(name);
  return names;
}

}  // namespace runledger
