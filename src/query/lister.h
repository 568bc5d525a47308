// Lister: ListResults and ListRecords, served from the projections, never from the log: the core
// projections' ordering index (src/projections/entity_index.h), or the filter index when the
// filter pins a facet (filter_plan.h). Every candidate is checked against the request's scope
// and the whole filter.
//
// Processing follows upstream's order of checks and codes (spec/api.md §3.1): parent, page
// token decoding and parent binding, order_by, token/filter/order binding, filter, page size.
// A page is read under one RocksDB snapshot: candidates from the token's cursor on, in chunks,
// until page_size + 1 match. The extra match decides whether a next_page_token is issued; the
// token names the last item returned.
#ifndef RUNLEDGER_QUERY_LISTER_H_
#define RUNLEDGER_QUERY_LISTER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "src/common/names.h"
#include "src/projections/store.h"
#include "src/query/filter.h"
#include "src/query/log_scan.h"
#include "tekton/results/v1alpha2/api.pb.h"

namespace runledger {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMinPageSize = 5;
inline constexpr int kMaxPageSize = 10000;

class Lister {
 public:
  // How many threads a pass over the log reads with.
  static constexpr int kScanThreads = 2;

  // Where one way of reading a list gives way to another.
  struct Limits {
    // How many candidates an ordered scan evaluates before a record filter that has not filled
    // its page is answered by one pass over the log instead (log_scan.h).
    size_t ordered_scan_budget = 2000;
    // How many candidates are gathered and sorted in memory (the postings of an `in` list or a
    // prefix, the ranges of a user index, the records of one result) before the core
    // projection's ordering index is walked instead.
    size_t max_sorted_candidates = 200000;
  };

  explicit Lister(const Store* store) : Lister(store, Limits()) {}
  Lister(const Store* store, const Limits& limits) : store_(store), limits_(limits) {}

  absl::StatusOr<tekton::results::v1alpha2::ListResultsResponse> ListResults(
      const tekton::results::v1alpha2::ListResultsRequest& request) const;
  // `cancelled` (optional) tells a long scan that the caller has gone (deadline, cancel): it
  // then stops with Cancelled.
  absl::StatusOr<tekton::results::v1alpha2::ListRecordsResponse> ListRecords(
      const tekton::results::v1alpha2::ListRecordsRequest& request,
      const std::function<bool()>& cancelled = nullptr) const;

  // Receives each record ForEachRecord finds, with the index of the thread that found it (0 to
  // kScanThreads - 1): calls with different indexes run concurrently. Returns false to stop.
  using RecordVisitor = std::function<bool(int thread, const RecordView& record)>;

  // Visits every record of `scope` (parent and result, wildcards allowed) that matches `filter`
  // (all of them when null), in no particular order, under one snapshot that holds every write
  // acknowledged before the call.
  absl::Status ForEachRecord(const ResultName& scope, std::unique_ptr<const Filter> filter,
                             const RecordVisitor& visit,
                             const std::function<bool()>& cancelled = nullptr) const;

 private:
  const Store* store_;
  const Limits limits_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_LISTER_H_
