// The planner (internal to the evaluator): turns a parsed expression into the node tree of
// nodes.h while checking it against an Environment.
//
// It resolves every name once (comprehension variables, then declared names by longest
// qualified prefix within the container, then type names), every function to its table entry,
// folds selection chains into paths and constant subexpressions into constants, and infers a
// static Type for each node (dyn when unknown). Invariant: it reports only what can never work
// at run time -- undeclared references, undefined message fields -- and otherwise leaves
// errors to evaluation.
#ifndef RUNLEDGER_QUERY_CEL_PLANNER_H_
#define RUNLEDGER_QUERY_CEL_PLANNER_H_

#include "absl/status/statusor.h"
#include "src/query/cel/ast.h"
#include "src/query/cel/nodes.h"
#include "src/query/cel/types.h"

namespace runledger::cel::internal {

struct Plan {
  NodePtr root;
  Type type;
  int local_count = 0;  // comprehension variable slots a Frame must provide
};

// Trees nested more deeply than this are rejected (the parser's default limit is lower).
inline constexpr int kMaxPlanDepth = 1000;

// Errors: InvalidArgument "<line>:<col>: <reason>".
absl::StatusOr<Plan> PlanExpression(const ParsedExpr& expr, const Environment& env);

}  // namespace runledger::cel::internal

#endif  // RUNLEDGER_QUERY_CEL_PLANNER_H_
