#include "src/query/cel/planner.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/query/cel/parser.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

// Budget for folding constant subexpressions at compile time.
constexpr int64_t kFoldIterations = 100000;

constexpr std::string_view kTypeNames[] = {"bool",
                                           "int",
                                           "uint",
                                           "double",
                                           "string",
                                           "bytes",
                                           "list",
                                           "map",
                                           "type",
                                           "null_type",
                                           "google.protobuf.Timestamp",
                                           "google.protobuf.Duration"};

std::optional<std::string_view> BuiltinTypeName(std::string_view name) {
  for (std::string_view t : kTypeNames) {
    if (t == name) return t;
  }
  return std::nullopt;
}

// The segments of `e` if it is an identifier or a chain of field selections on one
// (`a.b.c` -> {"a", "b", "c"}; a leading dot stays on the first segment).
bool QualifiedSegments(const Expr& e, std::vector<std::string_view>* segments) {
  if (const auto* ident = e.As<IdentExpr>()) {
    segments->push_back(ident->name);
    return true;
  }
  const auto* select = e.As<SelectExpr>();
  if (select == nullptr || select->test_only || select->operand == nullptr) return false;
  if (!QualifiedSegments(*select->operand, segments)) return false;
  segments->push_back(select->field);
  return true;
}

std::string JoinSegments(const std::vector<std::string_view>& segments, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += '.';
    out.append(segments[i]);
  }
  return out;
}

Type TypeOfMask(KindMask mask) {
  if (mask == 0 || (mask & (mask - 1)) != 0) return Type::Dyn();
  for (int k = 0; k < kValueKindCount; ++k) {
    if (mask == Mask(static_cast<ValueKind>(k))) return Type::OfKind(static_cast<ValueKind>(k));
  }
  return Type::Dyn();
}

struct Planned {
  NodePtr node;
  Type type;
  bool constant = false;  // node is a ConstNode
};

Planned Constant(Value v) {
  Type type = Type::OfKind(v.kind());
  return Planned{std::make_unique<ConstNode>(std::move(v)), type, true};
}

// Evaluates a node whose inputs are all constant, once, at compile time.
Planned Fold(NodePtr node, Type type) {
  Frame frame;
  frame.iterations_left = kFoldIterations;
  Value v = node->Eval(frame).Detached();
  if (v.is_error() && frame.iterations_left < 0) return Planned{std::move(node), type, false};
  return Planned{std::make_unique<ConstNode>(std::move(v)), type, true};
}

class Planner {
 public:
  Planner(const Environment& env, std::string_view source) : env_(env), source_(source) {}

  absl::StatusOr<Planned> Plan(const Expr& e, int depth);
  int local_count() const { return max_locals_; }

 private:
  struct Local {
    std::string_view name;
    Type type;
    bool is_accumulator;
  };

  absl::Status Error(const Expr& e, std::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrCat(FormatPosition(source_, e.position), ": ", ToAbsl(reason)));
  }
  // An undeclared name: a compile error, or an error at run time when references are not
  // checked.
  absl::StatusOr<Planned> Undeclared(const Expr& e, std::string_view name) const;

  absl::StatusOr<Planned> PlanLiteral(const ConstExpr& c);
  absl::StatusOr<Planned> PlanName(const Expr& e, const std::vector<std::string_view>& segments);
  absl::StatusOr<Planned> PlanSelect(const Expr& e, const SelectExpr& s, int depth);
  absl::StatusOr<Planned> PlanCall(const Expr& e, const CallExpr& c, int depth);
  absl::StatusOr<Planned> PlanFunction(const Expr& e, const Function* f, bool receiver_style,
                                       std::vector<const Expr*> args, int depth);
  absl::StatusOr<Planned> PlanSpecial(const Expr& e, const CallExpr& c, int depth);
  absl::StatusOr<Planned> PlanBlock(const ListExpr& bindings, const Expr& body, int depth);
  absl::StatusOr<Planned> PlanIndex(const Expr& e, const Expr& operand, const Expr& key, int depth);
  // An in-place accumulation step (see AccumulateNode), if `f(args)` is one.
  std::optional<absl::StatusOr<Planned>> PlanAccumulate(const Function* f,
                                                        const std::vector<const Expr*>& args,
                                                        int depth);
  absl::StatusOr<Planned> PlanList(const ListExpr& l, int depth);
  absl::StatusOr<Planned> PlanMap(const MapExpr& m, int depth);
  absl::StatusOr<Planned> PlanComprehension(const ComprehensionExpr& c, int depth);
  absl::StatusOr<std::vector<Planned>> PlanAll(const std::vector<const Expr*>& exprs, int depth);

  // A declared name (variable or constant) or type name, tried in the container's scopes.
  std::optional<Planned> Resolve(std::string_view name) const;
  std::optional<Planned> ResolveExact(std::string_view name) const;
  const Local* FindLocal(std::string_view name) const;
  int PushLocal(std::string_view name, Type type, bool is_accumulator);
  void PopLocal() { locals_.pop_back(); }

  // Appends a field step to `base` (making it a path if it is not one), checking the field
  // against the static type.
  absl::StatusOr<Planned> AddField(const Expr& e, Planned base, std::string_view field,
                                   bool test_only);
  Planned AddIndex(Planned base, const Value& key);

  const Environment& env_;
  std::string_view source_;
  std::vector<Local> locals_;
  int max_locals_ = 0;
};

absl::StatusOr<Planned> Planner::Undeclared(const Expr& e, std::string_view name) const {
  std::string reason = absl::StrCat("undeclared reference to '", ToAbsl(name), "'");
  if (env_.check_references()) return Error(e, reason);
  return Constant(Value::Error(std::move(reason)));
}

absl::StatusOr<Planned> Planner::Plan(const Expr& e, int depth) {
  if (depth > kMaxPlanDepth) return Error(e, "expression nested too deeply");
  if (const auto* c = e.As<ConstExpr>()) return PlanLiteral(*c);
  if (e.As<IdentExpr>() != nullptr) {
    std::vector<std::string_view> segments;
    QualifiedSegments(e, &segments);
    return PlanName(e, segments);
  }
  if (const auto* s = e.As<SelectExpr>()) return PlanSelect(e, *s, depth);
  if (const auto* c = e.As<CallExpr>()) return PlanCall(e, *c, depth);
  if (const auto* l = e.As<ListExpr>()) return PlanList(*l, depth);
  if (const auto* m = e.As<MapExpr>()) return PlanMap(*m, depth);
  if (const auto* c = e.As<ComprehensionExpr>()) return PlanComprehension(*c, depth);
  return Error(e, "unsupported expression");
}

absl::StatusOr<Planned> Planner::PlanLiteral(const ConstExpr& c) {
  struct Visitor {
    Planned operator()(NullLiteral) const { return Constant(Value::Null()); }
    Planned operator()(bool b) const { return Constant(Value::Bool(b)); }
    Planned operator()(int64_t i) const { return Constant(Value::Int(i)); }
    Planned operator()(uint64_t u) const { return Constant(Value::Uint(u)); }
    Planned operator()(double d) const { return Constant(Value::Double(d)); }
    Planned operator()(const std::string& s) const {
      return Planned{ConstNode::Text(K::kString, s), Type::String(), true};
    }
    Planned operator()(const BytesLiteral& b) const {
      return Planned{ConstNode::Text(K::kBytes, b.value), Type::Bytes(), true};
    }
  };
  return std::visit(Visitor{}, c.value);
}

const Planner::Local* Planner::FindLocal(std::string_view name) const {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

int Planner::PushLocal(std::string_view name, Type type, bool is_accumulator) {
  locals_.push_back(Local{name, std::move(type), is_accumulator});
  max_locals_ = std::max(max_locals_, static_cast<int>(locals_.size()));
  return static_cast<int>(locals_.size()) - 1;
}

std::optional<Planned> Planner::ResolveExact(std::string_view name) const {
  if (const Environment::Variable* v = env_.FindVariable(name)) {
    return Planned{std::make_unique<VariableNode>(v->slot), v->type, false};
  }
  if (const Value* c = env_.FindConstant(name)) return Constant(*c);
  if (auto type_name = BuiltinTypeName(name)) return Constant(Value::TypeView(*type_name));
  return std::nullopt;
}

std::optional<Planned> Planner::Resolve(std::string_view name) const {
  if (!name.empty() && name.front() == '.') return ResolveExact(name.substr(1));
  // Inside container a.b: a.b.name, a.name, name.
  std::string_view container = env_.container();
  while (!container.empty()) {
    if (auto found = ResolveExact(absl::StrCat(ToAbsl(container), ".", ToAbsl(name)))) return found;
    size_t dot = container.rfind('.');
    container = dot == std::string_view::npos ? std::string_view() : container.substr(0, dot);
  }
  return ResolveExact(name);
}

absl::StatusOr<Planned> Planner::PlanName(const Expr& e,
                                          const std::vector<std::string_view>& segments) {
  std::optional<Planned> root;
  size_t used = 0;
  if (const Local* local = FindLocal(segments[0])) {
    int slot = static_cast<int>(local - locals_.data());
    root = Planned{std::make_unique<LocalNode>(slot), local->type, false};
    used = 1;
  } else {
    // The longest prefix of a.b.c that names something; the rest are field selections.
    for (used = segments.size(); used > 0; --used) {
      root = Resolve(JoinSegments(segments, used));
      if (root) break;
    }
  }
  if (!root) return Undeclared(e, segments[0]);
  Planned result = std::move(*root);
  for (size_t i = used; i < segments.size(); ++i) {
    auto next = AddField(e, std::move(result), segments[i], false);
    if (!next.ok()) return next.status();
    result = std::move(*next);
  }
  return result;
}

absl::StatusOr<Planned> Planner::AddField(const Expr& e, Planned base, std::string_view field,
                                          bool test_only) {
  Type type = Type::Dyn();
  if (const MessageType* m = base.type.message()) {
    const Type* field_type = m->FindField(field);
    if (field_type == nullptr && env_.check_references()) {
      return Error(e, absl::StrCat("undefined field '", ToAbsl(field), "'"));
    }
    if (field_type != nullptr) type = *field_type;
  } else if (base.type.kind() == Type::Kind::kMap) {
    type = base.type.element();
  }
  if (test_only) type = Type::Bool();
  auto* path = dynamic_cast<PathNode*>(base.node.get());
  if (path == nullptr || path->test_only()) {
    auto wrapped = std::make_unique<PathNode>(std::move(base.node));
    path = wrapped.get();
    base.node = std::move(wrapped);
  }
  path->AddField(std::string(field));
  if (test_only) path->set_test_only();
  if (base.constant) return Fold(std::move(base.node), type);
  return Planned{std::move(base.node), type, false};
}

Planned Planner::AddIndex(Planned base, const Value& key) {
  Type type = base.type.kind() == Type::Kind::kList || base.type.kind() == Type::Kind::kMap
                  ? base.type.element()
                  : Type::Dyn();
  auto* path = dynamic_cast<PathNode*>(base.node.get());
  if (path == nullptr || path->test_only()) {
    auto wrapped = std::make_unique<PathNode>(std::move(base.node));
    path = wrapped.get();
    base.node = std::move(wrapped);
  }
  path->AddIndex(key);
  if (base.constant) return Fold(std::move(base.node), type);
  return Planned{std::move(base.node), type, false};
}

absl::StatusOr<Planned> Planner::PlanSelect(const Expr& e, const SelectExpr& s, int depth) {
  std::vector<std::string_view> segments;
  if (!s.test_only && QualifiedSegments(e, &segments)) return PlanName(e, segments);
  auto operand = Plan(*s.operand, depth + 1);
  if (!operand.ok()) return operand.status();
  return AddField(e, std::move(*operand), s.field, s.test_only);
}

absl::StatusOr<Planned> Planner::PlanIndex(const Expr& e, const Expr& operand, const Expr& key,
                                           int depth) {
  auto base = Plan(operand, depth + 1);
  if (!base.ok()) return base.status();
  auto index = Plan(key, depth + 1);
  if (!index.ok()) return index.status();
  if (index->constant) {
    const Value& k = static_cast<const ConstNode&>(*index->node).value();
    bool foldable = k.is(K::kString) || k.is(K::kUint) || (k.is(K::kInt) && k.int_value() >= 0);
    if (k.is(K::kUint) && k.uint_value() > uint64_t{1} << 62) foldable = false;
    if (foldable) return AddIndex(std::move(*base), k);
  }
  Type type = base->type.kind() == Type::Kind::kList || base->type.kind() == Type::Kind::kMap
                  ? base->type.element()
                  : Type::Dyn();
  bool constant = base->constant && index->constant;
  auto node = std::make_unique<IndexNode>(std::move(base->node), std::move(index->node));
  if (constant) return Fold(std::move(node), type);
  return Planned{std::move(node), type, false};
}

absl::StatusOr<std::vector<Planned>> Planner::PlanAll(const std::vector<const Expr*>& exprs,
                                                      int depth) {
  std::vector<Planned> out;
  out.reserve(exprs.size());
  for (const Expr* e : exprs) {
    auto p = Plan(*e, depth + 1);
    if (!p.ok()) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

std::vector<const Expr*> Pointers(const std::vector<ExprPtr>& exprs) {
  std::vector<const Expr*> out;
  for (const ExprPtr& e : exprs) out.push_back(e.get());
  return out;
}

bool AllConstant(const std::vector<Planned>& planned) {
  for (const Planned& p : planned) {
    if (!p.constant) return false;
  }
  return true;
}

std::vector<NodePtr> Nodes(std::vector<Planned> planned) {
  std::vector<NodePtr> out;
  for (Planned& p : planned) out.push_back(std::move(p.node));
  return out;
}

// Operators the planner builds nodes for itself rather than calling a function.
bool IsSpecial(const CallExpr& c) {
  if (c.target != nullptr) return false;
  const std::string& f = c.function;
  const size_t n = c.args.size();
  return ((f == "_[_]" || f == "_&&_" || f == "_||_") && n == 2) || (f == "_?_:_" && n == 3) ||
         (f == "@not_strictly_false" && n == 1) ||
         (f == "cel.@block" && n == 2 && c.args[0]->As<ListExpr>() != nullptr);
}

absl::StatusOr<Planned> Planner::PlanSpecial(const Expr& e, const CallExpr& c, int depth) {
  const std::string& f = c.function;
  if (f == "_[_]") return PlanIndex(e, *c.args[0], *c.args[1], depth);
  if (f == "cel.@block") return PlanBlock(*c.args[0]->As<ListExpr>(), *c.args[1], depth);
  bool logic = f == "_&&_" || f == "_||_";
  bool conditional = f == "_?_:_";
  auto args = PlanAll(Pointers(c.args), depth);
  if (!args.ok()) return args.status();
  bool constant = AllConstant(*args);
  Type type = Type::Bool();
  if (conditional) {
    type = (*args)[1].type.kind() == (*args)[2].type.kind() && !(*args)[1].type.message()
               ? (*args)[1].type
               : Type::Dyn();
  }
  std::vector<NodePtr> nodes = Nodes(std::move(*args));
  NodePtr node;
  if (logic) {
    node = std::make_unique<LogicNode>(f == "_&&_", std::move(nodes[0]), std::move(nodes[1]));
  } else if (conditional) {
    node = std::make_unique<ConditionalNode>(std::move(nodes[0]), std::move(nodes[1]),
                                             std::move(nodes[2]));
  } else {
    node = std::make_unique<NotStrictlyFalseNode>(std::move(nodes[0]));
  }
  if (constant) return Fold(std::move(node), type);
  return Planned{std::move(node), type, false};
}

absl::StatusOr<Planned> Planner::PlanBlock(const ListExpr& bindings, const Expr& body, int depth) {
  const size_t outer = locals_.size();
  std::vector<std::string> names;  // the locals refer to these
  names.reserve(bindings.elements.size());
  std::vector<NodePtr> nodes;
  absl::Status status;
  for (size_t i = 0; i < bindings.elements.size() && status.ok(); ++i) {
    auto binding = Plan(*bindings.elements[i], depth + 1);
    if (!binding.ok()) {
      status = binding.status();
      break;
    }
    names.push_back(absl::StrCat("@index", i));
    PushLocal(names.back(), binding->type, false);
    nodes.push_back(std::move(binding->node));
  }
  absl::StatusOr<Planned> result = status.ok() ? Plan(body, depth + 1) : status;
  while (locals_.size() > outer) PopLocal();
  if (!result.ok()) return result.status();
  return Planned{std::make_unique<BlockNode>(static_cast<int>(outer), std::move(nodes),
                                             std::move(result->node)),
                 result->type, false};
}

absl::StatusOr<Planned> Planner::PlanCall(const Expr& e, const CallExpr& c, int depth) {
  if (IsSpecial(c)) return PlanSpecial(e, c, depth);
  std::vector<const Expr*> args = Pointers(c.args);
  if (c.target == nullptr) {
    const Function* f = FindFunction(c.function);
    if (f == nullptr) return Undeclared(e, c.function);
    return PlanFunction(e, f, false, std::move(args), depth);
  }
  // ns.f(args): a namespaced function (math.greatest) unless ns names something.
  std::vector<std::string_view> segments;
  if (QualifiedSegments(*c.target, &segments) && !FindLocal(segments[0])) {
    std::string ns = JoinSegments(segments, segments.size());
    const Function* f = FindFunction(absl::StrCat(ns, ".", c.function));
    bool names_something = false;
    for (size_t used = segments.size(); used > 0 && !names_something; --used) {
      names_something = Resolve(JoinSegments(segments, used)).has_value();
    }
    if (f != nullptr && !names_something) return PlanFunction(e, f, false, std::move(args), depth);
  }
  const Function* f = FindFunction(c.function);
  if (f == nullptr) return Undeclared(e, c.function);
  args.insert(args.begin(), c.target.get());
  return PlanFunction(e, f, true, std::move(args), depth);
}

absl::StatusOr<Planned> Planner::PlanFunction(const Expr& e, const Function* f, bool receiver_style,
                                              std::vector<const Expr*> args, int depth) {
  if (auto accumulate = PlanAccumulate(f, args, depth)) return std::move(*accumulate);
  auto planned = PlanAll(args, depth);
  if (!planned.ok()) return planned.status();
  std::vector<KindMask> masks;
  for (const Planned& p : *planned) masks.push_back(p.type.kind_mask());
  Type type = TypeOfMask(f->ResultKinds(receiver_style, masks));
  if (f->name() == "dyn") type = Type::Dyn();
  bool constant = AllConstant(*planned);
  if (!f->Accepts(receiver_style, args.size())) {
    return Constant(Value::Error(absl::StrCat("no such overload: '", ToAbsl(f->name()), "' with ",
                                              args.size(), " argument(s)")));
  }
  NodePtr node;
  if (f->name() == "size" && args.size() == 1) {
    node = std::make_unique<SizeNode>(f, receiver_style, std::move((*planned)[0].node));
  } else if (f->name() == "matches" && args.size() == 2 && (*planned)[1].constant && !constant &&
             static_cast<const ConstNode&>(*(*planned)[1].node).value().is(K::kString)) {
    std::string_view pattern = static_cast<const ConstNode&>(*(*planned)[1].node).value().text();
    node = std::make_unique<MatchesNode>(std::move((*planned)[0].node), pattern);
  } else {
    node = std::make_unique<CallNode>(f, receiver_style, Nodes(std::move(*planned)));
  }
  if (constant) return Fold(std::move(node), type);
  return Planned{std::move(node), type, false};
}

std::optional<absl::StatusOr<Planned>> Planner::PlanAccumulate(const Function* f,
                                                               const std::vector<const Expr*>& args,
                                                               int depth) {
  // accu + [x] and cel.@mapInsert(accu, ...) in a comprehension step: in place.
  bool append = f->name() == "_+_" && args.size() == 2 && args[1]->As<ListExpr>() != nullptr;
  bool insert = f->name() == "cel.@mapInsert" && (args.size() == 2 || args.size() == 3);
  const IdentExpr* ident = args.empty() ? nullptr : args[0]->As<IdentExpr>();
  const Local* accu = ident != nullptr && (append || insert) ? FindLocal(ident->name) : nullptr;
  if (accu == nullptr || !accu->is_accumulator) return std::nullopt;
  const int slot = static_cast<int>(accu - locals_.data());  // before planning moves locals_
  std::vector<const Expr*> operands(args.begin() + 1, args.end());
  if (append) operands = Pointers(args[1]->As<ListExpr>()->elements);
  auto planned = PlanAll(operands, depth + 1);
  if (!planned.ok()) return planned.status();
  auto mode = append ? AccumulateNode::Mode::kAppend : AccumulateNode::Mode::kInsert;
  return Planned{std::make_unique<AccumulateNode>(mode, slot, Nodes(std::move(*planned)), f),
                 append ? Type::List(Type::Dyn()) : Type::Map(Type::Dyn(), Type::Dyn()), false};
}

absl::StatusOr<Planned> Planner::PlanList(const ListExpr& l, int depth) {
  auto elements = PlanAll(Pointers(l.elements), depth);
  if (!elements.ok()) return elements.status();
  Type element = Type::Dyn();
  if (!elements->empty()) {
    element = (*elements)[0].type;
    for (const Planned& p : *elements) {
      if (p.type.kind() != element.kind() || p.type.message()) element = Type::Dyn();
    }
  }
  bool constant = AllConstant(*elements);
  auto node = std::make_unique<ListNode>(Nodes(std::move(*elements)));
  if (constant) return Fold(std::move(node), Type::List(element));
  return Planned{std::move(node), Type::List(element), false};
}

absl::StatusOr<Planned> Planner::PlanMap(const MapExpr& m, int depth) {
  std::vector<const Expr*> keys, values;
  for (const MapEntry& entry : m.entries) {
    keys.push_back(entry.key.get());
    values.push_back(entry.value.get());
  }
  auto k = PlanAll(keys, depth);
  if (!k.ok()) return k.status();
  auto v = PlanAll(values, depth);
  if (!v.ok()) return v.status();
  bool constant = AllConstant(*k) && AllConstant(*v);
  auto node = std::make_unique<MapNode>(Nodes(std::move(*k)), Nodes(std::move(*v)));
  Type type = Type::Map(Type::Dyn(), Type::Dyn());
  if (constant) return Fold(std::move(node), type);
  return Planned{std::move(node), type, false};
}

absl::StatusOr<Planned> Planner::PlanComprehension(const ComprehensionExpr& c, int depth) {
  ComprehensionNode::Parts parts;
  auto range = Plan(*c.iter_range, depth + 1);
  if (!range.ok()) return range.status();
  auto init = Plan(*c.accu_init, depth + 1);
  if (!init.ok()) return init.status();
  Type range_type = range->type;
  Type accu_type = init->type.kind() == Type::Kind::kList ? Type::List(Type::Dyn()) : init->type;
  parts.range = std::move(range->node);
  parts.init = std::move(init->node);

  parts.accu_slot = PushLocal(c.accu_var, accu_type, true);
  bool is_map = range_type.kind() == Type::Kind::kMap;
  bool two = !c.iter_var2.empty();
  Type first = is_map ? range_type.key() : (two ? Type::Int() : range_type.element());
  parts.iter_slot = PushLocal(c.iter_var, first, false);
  if (two) parts.iter2_slot = PushLocal(c.iter_var2, range_type.element(), false);
  auto condition = Plan(*c.loop_condition, depth + 1);
  auto step = Plan(*c.loop_step, depth + 1);
  PopLocal();
  if (two) PopLocal();
  if (!condition.ok()) return condition.status();
  if (!step.ok()) return step.status();
  auto result = Plan(*c.result, depth + 1);
  PopLocal();
  if (!result.ok()) return result.status();
  parts.condition = std::move(condition->node);
  parts.step = std::move(step->node);
  parts.result = std::move(result->node);
  return Planned{std::make_unique<ComprehensionNode>(std::move(parts)), result->type, false};
}

}  // namespace

absl::StatusOr<Plan> PlanExpression(const ParsedExpr& expr, const Environment& env) {
  if (expr.root == nullptr) return absl::InvalidArgumentError("empty expression");
  Planner planner(env, expr.source);
  auto planned = planner.Plan(*expr.root, 0);
  if (!planned.ok()) return planned.status();
  return Plan{std::move(planned->node), std::move(planned->type), planner.local_count()};
}

}  // namespace runledger::cel::internal
