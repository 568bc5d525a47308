// ResultsProjection: every live Result by name, plus the ordering index ListResults pages
// through (key layout in entity_index.h). Scopes: all results, and one parent. Sort fields: uid,
// create_time, update_time, summary.start_time, summary.end_time.
//
// Folds RESULT_CREATED / RESULT_UPDATED (store the event's state, less its derived fields and its
// name, which the key holds) and RESULT_DELETED (remove it); ignores record events.
#ifndef RUNLEDGER_PROJECTIONS_RESULTS_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_RESULTS_PROJECTION_H_

#include <string>
#include <vector>

#include "src/projections/entity_index.h"
#include "src/projections/projection.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

class ResultsProjection : public Projection {
 public:
  static constexpr absl::string_view kName = "results";

  absl::string_view name() const override { return kName; }
  int version() const override { return 2; }
  absl::Status Apply(const v1::Event& event, FoldState& state) override;

  // The uid and ordering-index keys of a stored `result`.
  static EntityKeys KeysOf(absl::string_view name, const tekton::results::v1alpha2::Result& result);
  // The time `result` sorts by in the `field` order (kMissingTime for a missing summary time);
  // page tokens carry the same value, so the two must come from here.
  static int64_t SortNanos(const tekton::results::v1alpha2::Result& result, SortField field);
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_RESULTS_PROJECTION_H_
