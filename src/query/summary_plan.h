// SummaryPlan: whether a summary's filter constrains nothing but what the summary projection's
// cells are keyed by (summary_projection.h), so that the summary can be answered from the cells.
//
// The filter's top-level conjuncts must each be one of
//   <key> == 'v'   'v' == <key>   <key> in ['v', 'w']
// where <key> is `parent`, `data_type`, `data.metadata.namespace`,
// `data.metadata.labels['tekton.dev/pipeline']` or
// `data.metadata.annotations['pipelinesascode.tekton.dev/repository']` (values may be the
// environment's string constants), or
//   <time> >= timestamp('D')   <time> < timestamp('D')   (either side, D a UTC midnight)
// where <time> is `data.metadata.creationTimestamp`, `data.status.startTime` or
// `data.status.completionTime`, bare or inside timestamp(). A record matches such a filter
// exactly when its cell matches the constraint: a cell's key values are the record's own, and an
// absent value fails every comparison, as a missing field makes CEL's comparison an error.
#ifndef RUNLEDGER_QUERY_SUMMARY_PLAN_H_
#define RUNLEDGER_QUERY_SUMMARY_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/query/cel/ast.h"

namespace runledger {

// The time fields of a run that summaries group by and cells are keyed by.
enum class RunTime { kCreated = 0, kStarted = 1, kCompleted = 2 };
inline constexpr int kRunTimes = 3;

struct CellConstraint {
  // When set, the allowed values (a record whose value is absent matches none).
  std::optional<std::vector<std::string>> parents;
  std::optional<std::vector<std::string>> types;
  std::optional<std::vector<std::string>> namespaces;
  std::optional<std::vector<std::string>> pipelines;
  std::optional<std::vector<std::string>> repositories;
  // Per RunTime, when set, the inclusive range of allowed days since the epoch.
  struct Days {
    int64_t first;
    int64_t last;
  };
  std::optional<Days> days[kRunTimes];
};

// The constraint equivalent to `filter`, or nullopt if the filter constrains anything else.
std::optional<CellConstraint> CellConstraintOf(const cel::Expr& filter);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_SUMMARY_PLAN_H_
