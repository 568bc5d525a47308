// Database: the single RocksDB instance under a data directory and its column families.
//
// The log owns four column families (formats in event_log.h):
//   log      the events, keyed by sequence number
//   history  the per-entity index of the log
//   changes  the per-parent index of the log
//   meta     small bookkeeping values such as projection checkpoints
// Every projection keeps its state in a column family of its own (named by the projection), so
// that dropping a projection is dropping one column family. All column families share one WAL,
// which is what makes an append and the inline projections' effects one atomic write.
#ifndef RUNLEDGER_LOG_DATABASE_H_
#define RUNLEDGER_LOG_DATABASE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"

namespace runledger {

inline constexpr absl::string_view kLogFamily = "log";
inline constexpr absl::string_view kHistoryFamily = "history";
inline constexpr absl::string_view kChangesFamily = "changes";
inline constexpr absl::string_view kMetaFamily = "meta";

absl::Status FromRocks(const rocksdb::Status& status);

// Debian's abseil has its own string_view (not std::string_view), so Slices convert here.
inline absl::string_view ToView(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}
inline rocksdb::Slice ToSlice(absl::string_view view) {
  return rocksdb::Slice(view.data(), view.size());
}

class Database {
 public:
  struct Options {
    size_t block_cache_bytes = 128 << 20;
    size_t memtable_bytes = 64 << 20;
  };

  // Opens (creating if needed) the database in `dir` with the log's column families and
  // `projection_families`. Column families found on disk but not requested are kept open too.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& dir, const std::vector<std::string>& projection_families,
      const Options& options);
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& dir, const std::vector<std::string>& projection_families) {
    return Open(dir, projection_families, Options());
  }
  ~Database();

  rocksdb::DB* db() const { return db_.get(); }
  // The handle of column family `name`, or null if it is not open.
  rocksdb::ColumnFamilyHandle* family(absl::string_view name) const;
  // The same handle, shared: it stays usable (reads of a dropped family see its last state)
  // until the last holder lets go, and only then are the family's files deleted.
  std::shared_ptr<rocksdb::ColumnFamilyHandle> SharedFamily(absl::string_view name) const;
  // Creates column family `name` if it does not exist.
  absl::Status CreateFamily(absl::string_view name);
  // Drops column family `name` and all its data (freed once no reader holds its handle).
  absl::Status DropFamily(absl::string_view name);
  // Drops column family `name` with all its data and creates it again empty.
  absl::Status ResetFamily(absl::string_view name);
  // Compacts every column family down to its last level.
  absl::Status CompactAll();
  // Names of every open column family, in name order.
  std::vector<std::string> FamilyNames() const;

  // The directory, inside the data directory of `db`, where table files are written before they
  // are ingested (fold.h). Open empties it: a crash can leave a file there that was never
  // ingested.
  static std::string ScratchDir(const rocksdb::DB& db);

 private:
  Database() = default;
  rocksdb::ColumnFamilyOptions FamilyOptions(absl::string_view name) const;

  std::shared_ptr<rocksdb::Cache> cache_;  // one block cache for every column family
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<rocksdb::ColumnFamilyHandle> Share(rocksdb::ColumnFamilyHandle* handle) const;

  mutable absl::Mutex mu_;  // guards families_ (families come and go while serving)
  std::map<std::string, std::shared_ptr<rocksdb::ColumnFamilyHandle>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger

#endif  // RUNLEDGER_LOG_DATABASE_H_
