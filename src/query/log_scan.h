// LogScan: the records a filter matches, found by one sequential pass over the event log.
//
// When no index narrows a filter and its matches are sparse, walking an ordering index and
// loading each record (a random read of its log event) costs far more than reading the log in
// order: each log block is then decompressed once, and the pass splits across threads by
// sequence range. An event matches when its record is in scope and passes the filter; it counts
// only if it is still its record's latest event under the snapshot (checked in the per-entity
// history index), so updated and deleted records answer with their current state only.
#ifndef RUNLEDGER_QUERY_LOG_SCAN_H_
#define RUNLEDGER_QUERY_LOG_SCAN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "src/log/database.h"
#include "src/projections/entity_index.h"
#include "src/query/filter.h"

namespace runledger {

struct LogScanMatch {
  std::string name;
  std::string position;  // SortSuffix in the requested order
};

struct LogScanRequest {
  const Filter* filter;
  std::function<bool(absl::string_view name)> in_scope;
  SortField order;
  uint64_t head;       // the last sequence at the request's start (the scan splits [1, head])
  size_t max_matches;  // beyond this many, give up
  int threads;
  std::function<bool()> cancelled;  // when set and true, the scan stops with Cancelled
};

// The current records that match, in no particular order; nullopt when more than max_matches
// events matched. Reads under `options` (which should carry the page's snapshot).
absl::StatusOr<std::optional<std::vector<LogScanMatch>>> ScanLogForRecords(
    const Database& database, const LogScanRequest& request, const rocksdb::ReadOptions& options);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_LOG_SCAN_H_
