// CoreReader: point reads of the core projections' state, shared by ingest (which validates
// against the latest state) and query. Reads go straight to RocksDB: a write acknowledged before
// the read began is always visible, because the core projections are written in the same atomic
// batch as the event.
#ifndef RUNLEDGER_PROJECTIONS_CORE_READER_H_
#define RUNLEDGER_PROJECTIONS_CORE_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/log/database.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

class CoreReader {
 public:
  explicit CoreReader(Database* database) : database_(database) {}

  absl::StatusOr<std::optional<tekton::results::v1alpha2::Result>> GetResult(
      absl::string_view name, const rocksdb::ReadOptions& options = {}) const;
  absl::StatusOr<std::optional<tekton::results::v1alpha2::Record>> GetRecord(
      absl::string_view name, const rocksdb::ReadOptions& options = {}) const;

  // Records by name, in the order of `names`; a name with no record is skipped.
  absl::StatusOr<std::vector<tekton::results::v1alpha2::Record>> GetRecords(
      const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const;
  absl::StatusOr<std::vector<tekton::results::v1alpha2::Result>> GetResults(
      const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const;

  // The names of every record of result `<parent>/results/<result>`.
  absl::StatusOr<std::vector<std::string>> RecordNamesOf(absl::string_view parent,
                                                         absl::string_view result) const;

  Database* database() const { return database_; }

 private:
  Database* database_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_CORE_READER_H_
