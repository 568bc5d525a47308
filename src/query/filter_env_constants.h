// The constants of the filter environments (spec/api.md §3.6), shared by the environments that
// bind them and the planner that reads them in filters.
#ifndef RUNLEDGER_QUERY_FILTER_ENV_CONSTANTS_H_
#define RUNLEDGER_QUERY_FILTER_ENV_CONSTANTS_H_

#include <cstdint>
#include <string_view>

namespace runledger {

// PIPELINE_RUN and TASK_RUN, as upstream's newest release spells them (both environments).
struct TypeConstant {
  std::string_view name;
  std::string_view value;
};
inline constexpr TypeConstant kTypeConstants[] = {
    {"PIPELINE_RUN", "tekton.dev/v1.PipelineRun"},
    {"TASK_RUN", "tekton.dev/v1.TaskRun"},
};

// The RecordSummary.Status values (Results environment only).
struct StatusConstant {
  std::string_view name;
  int64_t value;
};
inline constexpr StatusConstant kStatusConstants[] = {
    {"UNKNOWN", 0}, {"SUCCESS", 1}, {"FAILURE", 2}, {"TIMEOUT", 3}, {"CANCELLED", 4},
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_FILTER_ENV_CONSTANTS_H_
