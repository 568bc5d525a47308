// The evaluation of ComprehensionNode: the one loop all macros expand into.
#include "absl/strings/str_cat.h"
#include "src/query/cel/nodes.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel::internal {

void ComprehensionNode::Bind(const Value& range, size_t i, Frame& frame) const {
  Value* locals = frame.locals;
  if (range.is(ValueKind::kList)) {
    const Value& element = range.list()[i];
    if (p_.iter2_slot < 0) {
      locals[p_.iter_slot] = element;
    } else {
      locals[p_.iter_slot] = Value::Int(static_cast<int64_t>(i));
      locals[p_.iter2_slot] = element;
    }
    return;
  }
  const auto& [key, value] = range.map().entries()[i];
  locals[p_.iter_slot] = key;
  if (p_.iter2_slot >= 0) locals[p_.iter2_slot] = value;
}

Value ComprehensionNode::Loop(const Value& range, Frame& frame) const {
  Value& accu = frame.locals[p_.accu_slot];
  accu = p_.init->Eval(frame);
  const size_t n = range.is(ValueKind::kList) ? range.list().size() : range.map().size();
  for (size_t i = 0; i < n; ++i) {
    if (--frame.iterations_left < 0) return Value::ErrorView("comprehension iteration limit");
    Bind(range, i, frame);
    Value go_on = p_.condition->Eval(frame);
    if (go_on.is(ValueKind::kBool) && !go_on.bool_value()) break;
    accu = p_.step->Eval(frame);
  }
  return p_.result->Eval(frame);
}

Value ComprehensionNode::Eval(Frame& frame) const {
  Value range = p_.range->Eval(frame).Resolved();
  if (range.is_error()) return range;
  if (!range.is(ValueKind::kList) && !range.is(ValueKind::kMap)) {
    return Value::Error(absl::StrCat("cannot iterate over ", ToAbsl(KindName(range.kind()))));
  }
  Value result = Loop(range, frame);
  // Drop the references the loop variables hold.
  for (int slot : {p_.iter_slot, p_.iter2_slot, p_.accu_slot}) {
    if (slot >= 0) frame.locals[slot] = Value();
  }
  return result;
}

}  // namespace runledger::cel::internal
