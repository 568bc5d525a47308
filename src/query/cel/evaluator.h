// Compiling and evaluating CEL expressions.
//
// A Program is compiled once from a parsed expression and an Environment and then evaluated
// any number of times, concurrently if wanted: it is immutable, and each Evaluate keeps its
// state on its own stack. Functions are resolved, constants built and constant regular
// expressions compiled at compile time, so evaluating a simple filter allocates nothing.
//
// Evaluation follows cel-spec's runtime semantics: errors are values that propagate through
// strict functions and are absorbed by && and || when the other operand decides; numbers never
// mix in arithmetic but compare and test equal across int, uint and double; overflow, division
// by zero and out-of-range conversions are errors. Evaluate never throws, never recurses
// deeper than the expression is nested, and bounds the work of comprehensions.
//
// Lazy values: a chain of field selections and constant indexes (`data.status.conditions[0]`)
// is one path; when its root is a lazy value it costs one LazyValue::Path call (Has for has()).
// Other operations resolve a lazy value first; size() asks LazyValue::Size.
//
// JSON strings (Value::JsonString) are strings everywhere a string overload exists; where only
// a timestamp one does (comparison with a timestamp, `-`, `+ duration`, getHours() ...) they
// are read as RFC 3339 timestamps.
#ifndef RUNLEDGER_QUERY_CEL_EVALUATOR_H_
#define RUNLEDGER_QUERY_CEL_EVALUATOR_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "src/query/cel/ast.h"
#include "src/query/cel/types.h"
#include "src/query/cel/value.h"

namespace runledger::cel {

namespace internal {
struct Plan;
}

class Program {
 public:
  // The work one evaluation may do: a comprehension iteration costs one unit, a call's
  // result one per 64 bytes of text or 4 list elements. Beyond it the result is an error.
  static constexpr int64_t kMaxIterations = int64_t{1} << 22;

  // Compiles `expr`. With `require_bool`, an expression whose type is known not to be bool is
  // rejected. Errors: InvalidArgument "<line>:<col>: <reason>" (undeclared reference to 'x',
  // undefined field 'f', expected boolean expression, but got string).
  static absl::StatusOr<Program> Compile(const ParsedExpr& expr, const Environment& env,
                                         bool require_bool);

  // Evaluates with `variables` in the slots of the environment's variables (missing slots
  // evaluate to errors). The result may borrow from the program and the variables; it is
  // never lazy at the top level (Value::Detached() makes a self-contained copy).
  Value Evaluate(absl::Span<const Value> variables) const;

  // The static type inferred for the expression (dyn when not known).
  const Type& result_type() const;

 private:
  explicit Program(std::shared_ptr<const internal::Plan> plan) : plan_(std::move(plan)) {}

  std::shared_ptr<const internal::Plan> plan_;
};

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_EVALUATOR_H_
