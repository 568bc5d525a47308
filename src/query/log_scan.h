// LogScan: the records a filter matches, found by one sequential pass over the event log.
//
// When no index narrows a filter and its matches are sparse, walking an ordering index and
// loading each record (a random read of its log event) costs far more than reading the log in
// order: each log block is then decompressed once, and the pass splits across threads by
// sequence range. An event matches when its record is in scope and passes the filter; it counts
// only if it is still its record's latest event at the pass's head (told by the successor table
// before the filter runs, or else by a seek in the per-entity history index after it), so updated
// and deleted records answer with their current state only. Each event's JSON is parsed at most
// once, in place in the log block when the event's bytes leave room for simdjson's padding.
#ifndef RUNLEDGER_QUERY_LOG_SCAN_H_
#define RUNLEDGER_QUERY_LOG_SCAN_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "rocksdb/db.h"
#include "src/log/database.h"
#include "src/log/successor_table.h"
#include "src/query/filter.h"

namespace runledger {

struct LogScanRequest {
  const Filter* filter;
  std::function<bool(absl::string_view name)> in_scope;
  // The last sequence at the request's start: the pass reads [1, head] (or up to the snapshot's
  // last event, if that is earlier) and answers as of that point.
  uint64_t head;
  int threads;
  std::function<bool()> cancelled;  // when set and true, the scan stops with Cancelled
  // When set, tells which events are still their record's latest (else: the history index).
  SuccessorTable* successors = nullptr;
};

// Receives each current record that matches, as views into `event`, the stored bytes of the
// runledger.v1.Event that holds it (decode those for the record's other fields), with the index of
// the scanning thread that found it (0 to threads - 1): calls with different indexes run
// concurrently. When a filter read the record's data, the view carries that parse
// (RecordView::parsed_data). Returns false to stop the scan (ScanLogForRecords still returns OK).
using LogScanVisitor =
    std::function<bool(int thread, const RecordView& record, absl::string_view event)>;

// Visits the current records that match, in no particular order, reading under `options`
// (which should carry the request's snapshot).
absl::Status ScanLogForRecords(const Database& database, const LogScanRequest& request,
                               const rocksdb::ReadOptions& options, const LogScanVisitor& visit);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_LOG_SCAN_H_
