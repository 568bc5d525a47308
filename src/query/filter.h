// Filter: a list request's CEL filter, compiled once for its environment (spec/api.md §3.6)
// and evaluated on each candidate Result or Record.
//
// Records environment: parent, result_name (the result id), name (the record id), data_type, data
// (the record's JSON, bound lazily: see json_value.h), PIPELINE_RUN, TASK_RUN. Results environment:
// parent, uid, annotations, summary (record, type, start_time, end_time, status, annotations),
// create_time, update_time, those two constants and the status constants.
//
// Compile errors use upstream's texts: "error compiling CEL filters: <line>:<col>: <reason>" and
// "expected boolean expression, but got <type>". An evaluation that fails on one entity (a
// missing field, a type mismatch) makes that entity not match. Matches may run concurrently.
#ifndef RUNLEDGER_QUERY_FILTER_H_
#define RUNLEDGER_QUERY_FILTER_H_

#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/common/record_view.h"
#include "src/query/cel/ast.h"
#include "src/query/cel/evaluator.h"
#include "src/query/filter_plan.h"
#include "src/query/json_value.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

class Filter {
 public:
  static absl::StatusOr<std::unique_ptr<const Filter>> Compile(std::string_view text,
                                                               FilterTarget target);

  bool Matches(const RecordView& record) const;
  // The same, with the record's data already bound to `data` (so that a caller can read more of
  // it without parsing it again).
  bool Matches(const RecordView& record, const JsonDocument& data) const;
  bool Matches(const tekton::results::v1alpha2::Record& record) const {
    return Matches(RecordView::Of(record));
  }
  bool Matches(const tekton::results::v1alpha2::Result& result) const;

  // The parsed filter, for planners.
  const cel::Expr& expr() const { return *parsed_.root; }

  // The facet postings that hold every match, when an index can answer part of the filter.
  const std::optional<FacetChoice>& facets() const { return facets_; }

  // The create_time and update_time ranges every match lies in, if the filter bounds them
  // (Results only: records have no time variables).
  const std::optional<TimeRange>& create_time_range() const { return create_time_range_; }
  const std::optional<TimeRange>& update_time_range() const { return update_time_range_; }

 private:
  Filter(cel::ParsedExpr parsed, cel::Program program, std::optional<FacetChoice> facets)
      : parsed_(std::move(parsed)), program_(std::move(program)), facets_(std::move(facets)) {}

  cel::ParsedExpr parsed_;
  cel::Program program_;
  std::optional<FacetChoice> facets_;
  std::optional<TimeRange> create_time_range_;
  std::optional<TimeRange> update_time_range_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_FILTER_H_
