// The nodes of a compiled CEL program (internal to the evaluator): a tree whose functions are
// already resolved to Function pointers, whose constants are already built and whose chains
// of field selections and constant indexes are already folded into paths.
//
// Invariants: a node never changes after planning, so one tree serves concurrent evaluations;
// all per-evaluation state lives in the Frame. Eval never throws and returns errors as error
// Values; it recurses only as deep as the tree is tall.
#ifndef RUNLEDGER_QUERY_CEL_NODES_H_
#define RUNLEDGER_QUERY_CEL_NODES_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "re2/re2.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/value.h"

namespace runledger::cel::internal {

// What one evaluation reads and writes.
struct Frame {
  const Value* variables = nullptr;
  size_t variable_count = 0;
  Value* locals = nullptr;  // comprehension variables, by slot
  int64_t iterations_left = 0;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual Value Eval(Frame& frame) const = 0;
};
using NodePtr = std::unique_ptr<Node>;

// A literal, a declared constant, a type name, or a folded constant expression. Borrowed text
// in the value must point into memory the node (or the program) owns.
class ConstNode final : public Node {
 public:
  explicit ConstNode(Value value) : value_(std::move(value)) {}
  // Text literal kept in the node, with the value borrowing it.
  static NodePtr Text(ValueKind kind, std::string text);
  Value Eval(Frame&) const override { return value_; }
  const Value& value() const { return value_; }

 private:
  std::string storage_;
  Value value_;
};

class VariableNode final : public Node {
 public:
  explicit VariableNode(int slot) : slot_(slot) {}
  Value Eval(Frame& frame) const override;

 private:
  int slot_;
};

class LocalNode final : public Node {
 public:
  explicit LocalNode(int slot) : slot_(slot) {}
  Value Eval(Frame& frame) const override { return frame.locals[slot_]; }

 private:
  int slot_;
};

class ListNode final : public Node {
 public:
  explicit ListNode(std::vector<NodePtr> elements) : elements_(std::move(elements)) {}
  Value Eval(Frame& frame) const override;

 private:
  std::vector<NodePtr> elements_;
};

class MapNode final : public Node {
 public:
  MapNode(std::vector<NodePtr> keys, std::vector<NodePtr> values)
      : keys_(std::move(keys)), values_(std::move(values)) {}
  Value Eval(Frame& frame) const override;

 private:
  std::vector<NodePtr> keys_;
  std::vector<NodePtr> values_;
};

// a && b (kIsAnd) or a || b: commutative, an error is absorbed by a deciding operand.
class LogicNode final : public Node {
 public:
  LogicNode(bool is_and, NodePtr a, NodePtr b)
      : is_and_(is_and), a_(std::move(a)), b_(std::move(b)) {}
  Value Eval(Frame& frame) const override;

 private:
  bool is_and_;
  NodePtr a_, b_;
};

class ConditionalNode final : public Node {
 public:
  ConditionalNode(NodePtr condition, NodePtr then, NodePtr otherwise)
      : condition_(std::move(condition)), then_(std::move(then)), else_(std::move(otherwise)) {}
  Value Eval(Frame& frame) const override;

 private:
  NodePtr condition_, then_, else_;
};

// @not_strictly_false(x): x if it is a bool, else true (errors included).
class NotStrictlyFalseNode final : public Node {
 public:
  explicit NotStrictlyFalseNode(NodePtr arg) : arg_(std::move(arg)) {}
  Value Eval(Frame& frame) const override;

 private:
  NodePtr arg_;
};

// A call of a function from the table.
class CallNode final : public Node {
 public:
  CallNode(const Function* function, bool receiver_style, std::vector<NodePtr> args)
      : function_(function), receiver_style_(receiver_style), args_(std::move(args)) {}
  Value Eval(Frame& frame) const override;

 private:
  const Function* function_;
  bool receiver_style_;
  std::vector<NodePtr> args_;
};

// size(x) / x.size(): asks a lazy value for its size instead of resolving it.
class SizeNode final : public Node {
 public:
  SizeNode(const Function* size, bool receiver_style, NodePtr arg)
      : size_(size), receiver_style_(receiver_style), arg_(std::move(arg)) {}
  Value Eval(Frame& frame) const override;

 private:
  const Function* size_;
  bool receiver_style_;
  NodePtr arg_;
};

// text.matches(<constant pattern>), with the pattern compiled once.
class MatchesNode final : public Node {
 public:
  MatchesNode(NodePtr text, std::string_view pattern);
  Value Eval(Frame& frame) const override;

 private:
  NodePtr text_;
  RE2 regex_;
};

// operand.a.b[0]["c"]: field selections and constant indexes applied in order, in one
// LazyValue::Path call when the operand is lazy. With test_only the last step is has()'s field.
class PathNode final : public Node {
 public:
  struct Step {
    bool is_field;  // .name (else [key])
    Value key;      // the field name or the constant index
  };

  explicit PathNode(NodePtr operand) : operand_(std::move(operand)) {}
  // Adds a step; `text` (a field name or string key) is kept in the node.
  void AddField(std::string name);
  void AddIndex(const Value& key);  // a constant int, uint or string
  void set_test_only() { test_only_ = true; }
  bool test_only() const { return test_only_; }
  Value Eval(Frame& frame) const override;

 private:
  NodePtr operand_;
  std::deque<std::string> names_;  // stable storage for step text
  std::vector<Step> steps_;
  std::vector<PathStep> lazy_steps_;  // the same steps, for LazyValue
  bool test_only_ = false;
};

// operand[key] with a key computed at run time.
class IndexNode final : public Node {
 public:
  IndexNode(NodePtr operand, NodePtr key) : operand_(std::move(operand)), key_(std::move(key)) {}
  Value Eval(Frame& frame) const override;

 private:
  NodePtr operand_, key_;
};

// A macro's loop (see ast.h, ComprehensionExpr), with its variables in local slots.
class ComprehensionNode final : public Node {
 public:
  struct Parts {
    NodePtr range, init, condition, step, result;
    int iter_slot = -1, iter2_slot = -1, accu_slot = -1;
  };
  explicit ComprehensionNode(Parts parts) : p_(std::move(parts)) {}
  Value Eval(Frame& frame) const override;

 private:
  // Binds the loop variables to element `i` of `range` (a list or map).
  void Bind(const Value& range, size_t i, Frame& frame) const;
  Value Loop(const Value& range, Frame& frame) const;

  Parts p_;
};

// cel.@block([b0, b1, ...], body): binds each bi (evaluated in order; an error is kept as the
// value) to the local @index<i>, then evaluates body.
class BlockNode final : public Node {
 public:
  BlockNode(int first_slot, std::vector<NodePtr> bindings, NodePtr body)
      : first_slot_(first_slot), bindings_(std::move(bindings)), body_(std::move(body)) {}
  Value Eval(Frame& frame) const override;

 private:
  int first_slot_;
  std::vector<NodePtr> bindings_;
  NodePtr body_;
};

// accu + [elements...] (kAppend) or cel.@mapInsert(accu, key, value | map) (kInsert) where
// accu is a comprehension accumulator: done in place when no one else holds the accumulator,
// which makes map(), filter() and transformMap() linear rather than quadratic.
class AccumulateNode final : public Node {
 public:
  enum class Mode { kAppend, kInsert };
  AccumulateNode(Mode mode, int accu_slot, std::vector<NodePtr> operands, const Function* general)
      : mode_(mode), accu_slot_(accu_slot), operands_(std::move(operands)), general_(general) {}
  Value Eval(Frame& frame) const override;

 private:
  // In place if possible; false to fall back to the general function.
  bool AppendInPlace(Value& accu, Value* operands) const;
  bool InsertInPlace(Value& accu, Value* operands, Value* error) const;

  Mode mode_;
  int accu_slot_;
  std::vector<NodePtr> operands_;
  const Function* general_;  // _+_ or cel.@mapInsert, for the general case
};

// Selects or indexes `container` by `key` (list by int, uint or whole double; map by key;
// lazy values by one path step).
Value IndexValue(const Value& container, const Value& key);

}  // namespace runledger::cel::internal

#endif  // RUNLEDGER_QUERY_CEL_NODES_H_
