#include "src/query/cel/nodes.h"

#include <array>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "src/query/cel/string_view_compat.h"
#include "src/query/cel/strings.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

// Evaluates `nodes` into `out` (which holds at least nodes.size() values); stops at the first
// error, which it returns in `*error`.
bool EvalAll(const std::vector<NodePtr>& nodes, Frame& frame, Value* out, Value* error) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    out[i] = nodes[i]->Eval(frame).Resolved();
    if (out[i].is_error()) {
      *error = out[i];
      return false;
    }
  }
  return true;
}

// What a call's result costs against the iteration budget: one unit per 64 bytes of text and
// per 4 list elements, so the budget also bounds what one evaluation can build (about 256 MiB).
int64_t WorkOf(const Value& v) {
  if (v.is(K::kString) || v.is(K::kBytes)) return static_cast<int64_t>(v.text().size() >> 6);
  if (v.is(K::kList)) return static_cast<int64_t>(v.list().size() >> 2);
  return 0;
}

Value SelectField(const Value& v, std::string_view field) {
  if (!v.is(K::kMap)) {
    return Value::Error(
        absl::StrCat("type '", ToAbsl(KindName(v.kind())), "' does not support field selection"));
  }
  const Value* found = v.map().FindString(field);
  if (found == nullptr) return Value::Error(absl::StrCat("no such key: ", ToAbsl(field)));
  return *found;
}

// A list position from an int, uint or whole double; false if `key` is none of those.
bool ListIndex(const Value& key, int64_t* index) {
  switch (key.kind()) {
    case K::kInt:
      *index = key.int_value();
      return true;
    case K::kUint:
      *index = key.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                   ? -1
                   : static_cast<int64_t>(key.uint_value());
      return true;
    case K::kDouble: {
      double d = key.double_value();
      if (d != std::trunc(d) || !(std::abs(d) < 9.2e18)) return false;
      *index = static_cast<int64_t>(d);
      return true;
    }
    default:
      return false;
  }
}

Value IndexList(const ListValue& list, const Value& key) {
  int64_t i;
  if (!ListIndex(key, &i)) {
    return Value::Error(absl::StrCat("invalid list index: ", key.DebugString()));
  }
  if (i < 0 || static_cast<uint64_t>(i) >= list.size()) {
    return Value::Error(absl::StrCat("index out of range: ", i));
  }
  return list[static_cast<size_t>(i)];
}

Value IndexLazy(const LazyValue& lazy, const Value& key) {
  PathStep step;
  int64_t i;
  if (key.is(K::kString)) {
    step.key = key.text();
  } else if (ListIndex(key, &i) && i >= 0) {
    step.index = i;
  } else {
    return Value::Error(absl::StrCat("invalid index: ", key.DebugString()));
  }
  return lazy.Path(&step, 1);
}

}  // namespace

NodePtr ConstNode::Text(ValueKind kind, std::string text) {
  auto node = std::make_unique<ConstNode>(Value());
  node->storage_ = std::move(text);
  std::string_view view = node->storage_;
  node->value_ = kind == K::kBytes ? Value::BytesView(view) : Value::StringView(view);
  return node;
}

Value VariableNode::Eval(Frame& frame) const {
  if (static_cast<size_t>(slot_) >= frame.variable_count) {
    return Value::ErrorView("variable not bound");
  }
  return frame.variables[slot_];
}

Value ListNode::Eval(Frame& frame) const {
  std::vector<Value> elements(elements_.size());
  Value error;
  if (!EvalAll(elements_, frame, elements.data(), &error)) return error;
  return Value::List(std::move(elements));
}

Value MapNode::Eval(Frame& frame) const {
  std::vector<Value> keys(keys_.size()), values(values_.size());
  Value error;
  if (!EvalAll(keys_, frame, keys.data(), &error)) return error;
  if (!EvalAll(values_, frame, values.data(), &error)) return error;
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    entries.emplace_back(std::move(keys[i]), std::move(values[i]));
  }
  return Value::Map(std::move(entries));
}

Value LogicNode::Eval(Frame& frame) const {
  const bool decisive = !is_and_;  // false decides &&, true decides ||
  Value a = a_->Eval(frame).Resolved();
  if (a.is(K::kBool) && a.bool_value() == decisive) return a;
  Value b = b_->Eval(frame).Resolved();
  if (b.is(K::kBool) && (b.bool_value() == decisive || a.is(K::kBool))) return b;
  // Neither operand decides and at least one is an error or not a bool.
  const Value& bad = a.is(K::kBool) ? b : a;
  if (bad.is_error()) return bad;
  Value args[2] = {a, b};
  return NoSuchOverload(is_and_ ? "_&&_" : "_||_", args);
}

Value ConditionalNode::Eval(Frame& frame) const {
  Value c = condition_->Eval(frame).Resolved();
  if (c.is(K::kBool)) return (c.bool_value() ? then_ : else_)->Eval(frame);
  if (c.is_error()) return c;
  return NoSuchOverload("_?_:_", absl::MakeConstSpan(&c, 1));
}

Value NotStrictlyFalseNode::Eval(Frame& frame) const {
  Value v = arg_->Eval(frame).Resolved();
  return v.is(K::kBool) ? v : Value::Bool(true);
}

Value CallNode::Eval(Frame& frame) const {
  const size_t n = args_.size();
  std::array<Value, 4> inline_args;
  std::vector<Value> heap_args;
  Value* args = inline_args.data();
  if (n > inline_args.size()) {
    heap_args.resize(n);
    args = heap_args.data();
  }
  for (size_t i = 0; i < n; ++i) {
    args[i] = args_[i]->Eval(frame);
    if (args[i].is_error()) return args[i];
  }
  Value result = function_->Call(receiver_style_, absl::MakeSpan(args, n));
  frame.iterations_left -= WorkOf(result);
  return result;
}

Value SizeNode::Eval(Frame& frame) const {
  Value v = arg_->Eval(frame);
  if (v.is_lazy()) return v.lazy()->Size();
  return size_->Call(receiver_style_, absl::MakeSpan(&v, 1));
}

MatchesNode::MatchesNode(NodePtr text, std::string_view pattern)
    : text_(std::move(text)), regex_(ToRe2(pattern), RE2::Quiet) {}

Value MatchesNode::Eval(Frame& frame) const {
  Value v = text_->Eval(frame).Resolved();
  if (v.is(K::kString)) return MatchRegex(regex_, v.text());
  if (v.is_error()) return v;
  return NoSuchOverload("matches", absl::MakeConstSpan(&v, 1));
}

void PathNode::AddField(std::string name) {
  std::string_view text = names_.emplace_back(std::move(name));
  steps_.push_back(Step{true, Value::StringView(text)});
  lazy_steps_.push_back(PathStep{text});
}

void PathNode::AddIndex(const Value& key) {
  PathStep step;
  if (key.is(K::kString)) {
    step.key = names_.emplace_back(key.text());
    steps_.push_back(Step{false, Value::StringView(step.key)});
  } else {
    step.index = key.is(K::kInt) ? key.int_value() : static_cast<int64_t>(key.uint_value());
    steps_.push_back(Step{false, key});
  }
  lazy_steps_.push_back(step);
}

Value PathNode::Eval(Frame& frame) const {
  Value v = operand_->Eval(frame);
  const size_t n = steps_.size();
  for (size_t i = 0; i < n; ++i) {
    if (v.is_error()) return v;
    if (v.is_lazy()) {
      return test_only_ ? v.lazy()->Has(&lazy_steps_[i], n - i)
                        : v.lazy()->Path(&lazy_steps_[i], n - i);
    }
    const Step& step = steps_[i];
    if (test_only_ && i == n - 1) {
      if (!v.is(K::kMap)) return NoSuchOverload("has", absl::MakeConstSpan(&v, 1));
      return Value::Bool(v.map().FindString(step.key.text()) != nullptr);
    }
    v = step.is_field ? SelectField(v, step.key.text()) : IndexValue(v, step.key);
  }
  return v;
}

Value IndexNode::Eval(Frame& frame) const {
  Value container = operand_->Eval(frame);
  if (container.is_error()) return container;
  return IndexValue(container, key_->Eval(frame));
}

Value IndexValue(const Value& container, const Value& key_in) {
  if (container.is_error()) return container;
  Value key = key_in.Resolved();
  if (key.is_error()) return key;
  if (container.is_lazy()) return IndexLazy(*container.lazy(), key);
  if (container.is(K::kList)) return IndexList(container.list(), key);
  if (container.is(K::kMap)) {
    const Value* found = container.map().Find(key);
    if (found == nullptr) return Value::Error(absl::StrCat("no such key: ", key.DebugString()));
    return *found;
  }
  Value args[2] = {container, key};
  return NoSuchOverload("_[_]", args);
}

Value BlockNode::Eval(Frame& frame) const {
  for (size_t i = 0; i < bindings_.size(); ++i) {
    frame.locals[first_slot_ + i] = bindings_[i]->Eval(frame);
  }
  Value result = body_->Eval(frame);
  for (size_t i = 0; i < bindings_.size(); ++i) frame.locals[first_slot_ + i] = Value();
  return result;
}

bool AccumulateNode::AppendInPlace(Value& accu, Value* operands) const {
  ListValue* list = accu.mutable_list_if_unique();
  int64_t weight = 0;
  for (size_t i = 0; i < operands_.size(); ++i) weight += Weight(operands[i]);
  if (list == nullptr || list->size() + operands_.size() > kMaxListSize ||
      list->weight() + weight > kMaxValueWeight) {
    return false;  // the general _+_ copies, or reports the list too large
  }
  for (size_t i = 0; i < operands_.size(); ++i) list->Append(std::move(operands[i]));
  return true;
}

bool AccumulateNode::InsertInPlace(Value& accu, Value* operands, Value* error) const {
  MapValue* map = accu.mutable_map_if_unique();
  if (map == nullptr) return false;
  bool inserted = true;
  if (operands_.size() == 2) {
    inserted = map->Insert(std::move(operands[0]), std::move(operands[1]));
  } else if (operands[0].is(K::kMap)) {
    for (const auto& [key, value] : operands[0].map().entries()) {
      inserted = inserted && map->Insert(key, value);
    }
  } else {
    return false;
  }
  if (!inserted) *error = Value::ErrorView("insert failed: repeated or invalid map key");
  return true;
}

Value AccumulateNode::Eval(Frame& frame) const {
  Value& accu = frame.locals[accu_slot_];
  if (accu.is_error()) return accu;
  std::array<Value, 4> inline_operands;
  std::vector<Value> heap_operands;
  Value* operands = inline_operands.data();
  if (operands_.size() > inline_operands.size()) {
    heap_operands.resize(operands_.size());
    operands = heap_operands.data();
  }
  Value error;
  if (!EvalAll(operands_, frame, operands, &error)) return error;
  if (mode_ == Mode::kAppend) {
    if (AppendInPlace(accu, operands)) return accu;
    Value args[2] = {accu, Value::List(std::vector<Value>(operands, operands + operands_.size()))};
    return general_->Call(false, args);
  }
  if (InsertInPlace(accu, operands, &error)) return error.is_error() ? error : accu;
  std::vector<Value> args = {accu};
  args.insert(args.end(), operands, operands + operands_.size());
  return general_->Call(false, absl::MakeSpan(args));
}

}  // namespace runledger::cel::internal
