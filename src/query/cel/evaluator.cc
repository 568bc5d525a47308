#include "src/query/cel/evaluator.h"

#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/query/cel/parser.h"
#include "src/query/cel/planner.h"

namespace runledger::cel {

absl::StatusOr<Program> Program::Compile(const ParsedExpr& expr, const Environment& env,
                                         bool require_bool) {
  auto plan = internal::PlanExpression(expr, env);
  if (!plan.ok()) return plan.status();
  if (require_bool && !plan->type.may_be_bool()) {
    return absl::InvalidArgumentError(absl::StrCat(FormatPosition(expr.source, expr.root->position),
                                                   ": expected boolean expression, but got ",
                                                   plan->type.Name()));
  }
  return Program(std::make_shared<const internal::Plan>(std::move(*plan)));
}

Value Program::Evaluate(absl::Span<const Value> variables) const {
  constexpr size_t kInlineLocals = 16;
  std::array<Value, kInlineLocals> inline_locals;
  std::vector<Value> heap_locals;
  internal::Frame frame;
  frame.variables = variables.data();
  frame.variable_count = variables.size();
  frame.locals = inline_locals.data();
  if (static_cast<size_t>(plan_->local_count) > kInlineLocals) {
    heap_locals.resize(plan_->local_count);
    frame.locals = heap_locals.data();
  }
  frame.iterations_left = kMaxIterations;
  return plan_->root->Eval(frame).Resolved();
}

const Type& Program::result_type() const { return plan_->type; }

}  // namespace runledger::cel
