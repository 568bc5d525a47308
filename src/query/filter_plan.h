// FilterPlan: the part of a CEL filter that the filter index (filter_index_projection.h) can
// answer, so a list reads only the candidates that can match instead of every entity in scope.
//
// The filter's top-level conjuncts (`a && b && ...`) are matched against the facets:
//   <facet> == 'v'   'v' == <facet>   <facet> in ['v', 'w']   <facet>.startsWith('v')
// where <facet> is `data_type`, `data.metadata.namespace`, `data.metadata.name`,
// `data.metadata.labels['tekton.dev/pipeline']`, `data.status.conditions[0].reason` (any mix of
// `.f` and `['f']`) for records, `summary.status` and `summary.type` for results, and a value
// may be one of the environment's constants (PIPELINE_RUN, SUCCESS, ...). The most selective
// kind of facet wins. Every match of the filter is among the chosen postings, because each
// facet's postings hold exactly the entities whose facet is that string; the full filter is
// still evaluated on every candidate. Likewise, comparisons of a time variable with a constant
// timestamp bound the part of a time-ordered index a list reads.
#ifndef RUNLEDGER_QUERY_FILTER_PLAN_H_
#define RUNLEDGER_QUERY_FILTER_PLAN_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runledger/v1/admin.pb.h"
#include "src/query/cel/ast.h"

namespace runledger {

enum class FilterTarget { kResults, kRecords };

struct FacetChoice {
  // The facet scopes (facets.h) whose postings hold every match: one for ==, several for in.
  std::vector<std::string> scopes;
  // When set instead: every facet scope that starts with this (startsWith).
  std::optional<std::string> scope_prefix;
};

std::optional<FacetChoice> ChooseFacets(const cel::Expr& filter, FilterTarget target);

// Inclusive bounds, in Unix nanoseconds, that every match's value of a time variable lies in.
struct TimeRange {
  int64_t lowest = std::numeric_limits<int64_t>::min();
  int64_t highest = std::numeric_limits<int64_t>::max();
};

// The range the filter's top-level conjuncts `<variable> <op> timestamp('...')` (either side;
// op one of < <= > >=) give `variable` (e.g. "create_time"), if any.
std::optional<TimeRange> ChooseTimeRange(const cel::Expr& filter, std::string_view variable);

// A user index (user_index_projection.h) that answers a top-level conjunct on exactly its path:
//   <path> == v   v == <path>   <path> in [v, w]   <path>.startsWith('p')
//   <path> < v (<=, >, >=, either side)   timestamp(<path>) < timestamp('...') (and the others)
// with v a string or number literal. Every match of the filter is among the postings in
// `ranges`: [low, high) intervals of the index's keys. Equality and `in` win over a prefix, and
// a prefix over ranges; the ranges of every range conjunct on one index and type intersect.
struct KeyRange {
  std::string low;
  std::string high;
};
struct UserIndexChoice {
  std::string index;
  std::vector<KeyRange> ranges;
};
std::optional<UserIndexChoice> ChooseUserIndex(const cel::Expr& filter,
                                               const std::vector<v1::IndexDefinition>& indexes);

// Building blocks for planners of other indexes (summary_plan.h).

// Appends the top-level conjuncts of `e` (`a && b && ...`) to `out`.
void Conjuncts(const cel::Expr& e, std::vector<const cel::Expr*>* out);

// The variable and steps of a chain of selects and constant indexes (an array index is written
// as decimal text); false for anything else.
bool ReadPath(const cel::Expr& e, std::string_view* variable, std::vector<std::string>* steps);

// The string a string literal or a string constant of the environment (PIPELINE_RUN, ...)
// stands for.
std::optional<std::string> ConstantText(const cel::Expr& e);

// The Unix nanoseconds of `timestamp('<RFC 3339>')`, if `e` is that.
std::optional<int64_t> ConstantTime(const cel::Expr& e);

// `subject <op> timestamp('...')`, with a comparison written the other way round mirrored so the
// subject is on the left; op is one of _<_ _<=_ _>_ _>=_.
struct TimeComparison {
  const cel::Expr* subject;
  std::string_view op;
  int64_t nanos;
};
std::optional<TimeComparison> ReadTimeComparison(const cel::Expr& e);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_FILTER_PLAN_H_
