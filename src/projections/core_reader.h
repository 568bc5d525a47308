// CoreReader: point reads of the core projections' state, shared by ingest (which validates
// against the latest state) and query. Reads go straight to RocksDB: a write acknowledged before
// the read began is always visible, because the core projections are written in the same atomic
// batch as the event. A Record is the records projection's entry joined with the log event that
// holds its data (see records_projection.h).
#ifndef RUNLEDGER_PROJECTIONS_CORE_READER_H_
#define RUNLEDGER_PROJECTIONS_CORE_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "src/log/database.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

class CoreReader {
 public:
  explicit CoreReader(Database* database, rocksdb::WriteBatchWithIndex* pending = nullptr)
      : database_(database), pending_(pending) {}

  // A reader of the database as modified by the not yet written `pending` batch: the state at
  // the head of the log while a group is being committed.
  CoreReader Through(rocksdb::WriteBatchWithIndex* pending) const {
    return CoreReader(database_, pending);
  }

  absl::StatusOr<std::optional<tekton::results::v1alpha2::Result>> GetResult(
      absl::string_view name, const rocksdb::ReadOptions& options = {}) const;
  // Leaves the log block of the record's data out of the block cache (GetRecords caches it).
  absl::StatusOr<std::optional<tekton::results::v1alpha2::Record>> GetRecord(
      absl::string_view name, const rocksdb::ReadOptions& options = {}) const;

  // Records by name, in the order of `names`; a name with no record is skipped.
  absl::StatusOr<std::vector<tekton::results::v1alpha2::Record>> GetRecords(
      const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const;
  absl::StatusOr<std::vector<tekton::results::v1alpha2::Result>> GetResults(
      const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const;

  // The names of the entities of projection `family` with the given uids, in order; a uid with
  // no entity gives an empty name.
  absl::StatusOr<std::vector<std::string>> NamesOfUids(absl::string_view family,
                                                       const std::vector<std::string>& uids,
                                                       const rocksdb::ReadOptions& options) const;

  // The names of every record of result `<parent>/results/<result>`.
  absl::StatusOr<std::vector<std::string>> RecordNamesOf(absl::string_view parent,
                                                         absl::string_view result) const;

  Database* database() const { return database_; }

 private:
  // Values read in one call, left where RocksDB holds them (block cache, memtable or a buffer of
  // the read) instead of being copied out.
  struct PinnedValues {
    std::vector<rocksdb::PinnableSlice> slices;
    std::vector<rocksdb::Status> statuses;

    bool found(size_t i) const { return statuses[i].ok(); }
    absl::string_view value(size_t i) const { return ToView(slices[i]); }
  };

  // The values under `keys` in `family`, through the pending batch if any.
  absl::StatusOr<PinnedValues> ReadValues(absl::string_view family,
                                          const std::vector<std::string>& keys,
                                          const rocksdb::ReadOptions& options) const;
  template <typename Stored>
  absl::StatusOr<std::vector<std::optional<Stored>>> ReadEntities(
      absl::string_view family, const std::vector<std::string>& names,
      const rocksdb::ReadOptions& options) const;
  // `cache_data`: whether the log blocks read for the records' data may enter the block cache.
  absl::StatusOr<std::vector<std::optional<tekton::results::v1alpha2::Record>>> ReadRecords(
      const std::vector<std::string>& names, const rocksdb::ReadOptions& options,
      bool cache_data) const;

  Database* database_;
  rocksdb::WriteBatchWithIndex* pending_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_CORE_READER_H_
