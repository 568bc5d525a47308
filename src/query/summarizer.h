// Summarizer: GetRecordListSummary (spec/api.md §4): counts and durations of the records a parent
// and filter select, optionally grouped by a time unit or by namespace, pipeline or repository.
//
// Checks follow upstream's order and texts: parent, filter, summary (an empty one means total),
// group_by, then order_by (only when grouping). A request is answered one of two ways, which
// give the same answer:
//   - from the summary projection's cells (SummaryCube) when every result is in scope (`-`), the
//     filter only constrains what cells are keyed by (summary_plan.h), the grouping is by day or
//     coarser or by a key, and the projection has folded every write acknowledged before the
//     request: time in the number of cells;
//   - else by aggregating the records the filter matches (Lister::ForEachRecord, which uses the
//     filter index or one pass over the log): time in the number of candidate records.
// Both aggregate each record's RunFacts (run_facts.h) with SummaryAggregate, so they cannot
// disagree.
#ifndef RUNLEDGER_QUERY_SUMMARIZER_H_
#define RUNLEDGER_QUERY_SUMMARIZER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "src/projections/store.h"
#include "src/query/lister.h"
#include "tekton/results/v1alpha2/api.pb.h"

namespace runledger {

class Summarizer {
 public:
  // Which ways a summarizer may answer: both (the server), or only by aggregating records (to
  // check one way against the other).
  enum class Paths { kCellsOrRecords, kRecordsOnly };

  explicit Summarizer(const Store* store, Paths paths = Paths::kCellsOrRecords)
      : store_(store), lister_(store), paths_(paths) {}

  // Fills `summary` (empty; it may live on an arena, and its rows then do too). `cancelled`
  // (optional) tells a long aggregation that the caller has gone.
  absl::Status Summarize(const tekton::results::v1alpha2::RecordListSummaryRequest& request,
                         tekton::results::v1alpha2::RecordListSummary* summary,
                         const std::function<bool()>& cancelled = nullptr) const;
  // The same, returning the summary.
  absl::StatusOr<tekton::results::v1alpha2::RecordListSummary> Summarize(
      const tekton::results::v1alpha2::RecordListSummaryRequest& request,
      const std::function<bool()>& cancelled = nullptr) const;

 private:
  const Store* store_;
  const Lister lister_;
  const Paths paths_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_SUMMARIZER_H_
