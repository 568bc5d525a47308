#include "src/query/cel/parser.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/query/cel/lexer.h"

namespace runledger::cel {
namespace {

using ExprNode = decltype(Expr::node);

// The accumulator variable of the standard macros' comprehensions.
constexpr char kAccumulator[] = "@result";

// Words reserved for embedding CEL in other languages; true, false, null and in are keywords
// that the lexer already tells apart.
constexpr std::string_view kReservedWords[] = {
    "as",  "break", "const",   "continue",  "else",   "for", "function", "if",    "import",
    "let", "loop",  "package", "namespace", "return", "var", "void",     "while",
};

bool IsReserved(std::string_view word) {
  return std::find(std::begin(kReservedWords), std::end(kReservedWords), word) !=
         std::end(kReservedWords);
}

// Precedence levels of the binary operators, lowest first; unary operators bind tighter.
enum Level {
  kOrLevel,
  kAndLevel,
  kRelationLevel,
  kAdditionLevel,
  kMultiplicationLevel,
  kUnaryLevel
};

struct BinaryOperator {
  TokenKind token;
  Level level;
  const char* function;
};

constexpr BinaryOperator kBinaryOperators[] = {
    {TokenKind::kOr, kOrLevel, "_||_"},
    {TokenKind::kAnd, kAndLevel, "_&&_"},
    {TokenKind::kLess, kRelationLevel, "_<_"},
    {TokenKind::kLessEqual, kRelationLevel, "_<=_"},
    {TokenKind::kGreater, kRelationLevel, "_>_"},
    {TokenKind::kGreaterEqual, kRelationLevel, "_>=_"},
    {TokenKind::kEqual, kRelationLevel, "_==_"},
    {TokenKind::kNotEqual, kRelationLevel, "_!=_"},
    {TokenKind::kIn, kRelationLevel, "@in"},
    {TokenKind::kPlus, kAdditionLevel, "_+_"},
    {TokenKind::kMinus, kAdditionLevel, "_-_"},
    {TokenKind::kStar, kMultiplicationLevel, "_*_"},
    {TokenKind::kSlash, kMultiplicationLevel, "_/_"},
    {TokenKind::kPercent, kMultiplicationLevel, "_%_"},
};

// The function of the binary operator `token` at `level`, or nullptr if it is not one.
const char* BinaryFunction(TokenKind token, Level level) {
  for (const BinaryOperator& op : kBinaryOperators) {
    if (op.token == token && op.level == level) return op.function;
  }
  return nullptr;
}

enum class MacroKind {
  kHas,
  kAll,
  kExists,
  kExistsOne,
  kMap,  // map and transformList
  kFilter,
  kTransformMap,
  kTransformMapEntry,
  kBind,
  kBlock,
  kIndex,    // cel.index(i): the identifier @index<i>
  kIterVar,  // cel.iterVar(d, u): the identifier @it:<d>:<u>
  kAccuVar,  // cel.accuVar(d, u): the identifier @ac:<d>:<u>
};

struct Macro {
  std::string_view name;
  size_t arg_count;
  MacroKind kind;
  size_t variables;                // leading arguments that name variables
  bool receiver;                   // called as target.name(...)
  std::string_view receiver_name;  // when not empty, the target must be this identifier
};

constexpr Macro kMacros[] = {
    {"has", 1, MacroKind::kHas, 0, false, ""},
    {"all", 2, MacroKind::kAll, 1, true, ""},
    {"all", 3, MacroKind::kAll, 2, true, ""},
    {"exists", 2, MacroKind::kExists, 1, true, ""},
    {"exists", 3, MacroKind::kExists, 2, true, ""},
    {"exists_one", 2, MacroKind::kExistsOne, 1, true, ""},
    {"exists_one", 3, MacroKind::kExistsOne, 2, true, ""},
    {"existsOne", 3, MacroKind::kExistsOne, 2, true, ""},
    {"map", 2, MacroKind::kMap, 1, true, ""},
    {"map", 3, MacroKind::kMap, 1, true, ""},
    {"filter", 2, MacroKind::kFilter, 1, true, ""},
    {"transformList", 3, MacroKind::kMap, 2, true, ""},
    {"transformList", 4, MacroKind::kMap, 2, true, ""},
    {"transformMap", 3, MacroKind::kTransformMap, 2, true, ""},
    {"transformMap", 4, MacroKind::kTransformMap, 2, true, ""},
    {"transformMapEntry", 3, MacroKind::kTransformMapEntry, 2, true, ""},
    {"transformMapEntry", 4, MacroKind::kTransformMapEntry, 2, true, ""},
    {"bind", 3, MacroKind::kBind, 1, true, "cel"},
    {"block", 2, MacroKind::kBlock, 0, true, "cel"},
    {"index", 1, MacroKind::kIndex, 0, true, "cel"},
    {"iterVar", 2, MacroKind::kIterVar, 0, true, "cel"},
    {"accuVar", 2, MacroKind::kAccuVar, 0, true, "cel"},
};

// The macro that a call of `function` on `target` (null for a global call) with `arg_count`
// arguments invokes, or nullptr.
const Macro* FindMacro(std::string_view function, const Expr* target, size_t arg_count) {
  for (const Macro& macro : kMacros) {
    if (macro.name != function || macro.arg_count != arg_count ||
        macro.receiver != (target != nullptr)) {
      continue;
    }
    const auto* ident = target == nullptr ? nullptr : target->As<IdentExpr>();
    if (macro.receiver_name.empty() || (ident != nullptr && ident->name == macro.receiver_name)) {
      return &macro;
    }
  }
  return nullptr;
}

std::string MacroName(const Macro& macro) {
  if (macro.receiver_name.empty()) return std::string(macro.name);
  return absl::StrCat(std::string(macro.receiver_name), ".", std::string(macro.name));
}

// Calls visit(child) for every child slot of `node` (a global call's absent target is no slot).
template <typename Visit>
void ForEachChild(const ExprNode& node, Visit visit) {
  if (const auto* select = std::get_if<SelectExpr>(&node)) {
    visit(select->operand);
  } else if (const auto* call = std::get_if<CallExpr>(&node)) {
    if (call->target != nullptr) visit(call->target);
    for (const ExprPtr& arg : call->args) visit(arg);
  } else if (const auto* list = std::get_if<ListExpr>(&node)) {
    for (const ExprPtr& element : list->elements) visit(element);
  } else if (const auto* map = std::get_if<MapExpr>(&node)) {
    for (const MapEntry& entry : map->entries) {
      visit(entry.key);
      visit(entry.value);
    }
  } else if (const auto* loop = std::get_if<ComprehensionExpr>(&node)) {
    visit(loop->iter_range);
    visit(loop->accu_init);
    visit(loop->loop_condition);
    visit(loop->loop_step);
    visit(loop->result);
  }
}

// Whether `expr` is a name such as a.b.c (what may precede '{' in message construction).
bool IsQualifiedName(const Expr* expr) {
  while (const auto* select = expr->As<SelectExpr>()) {
    if (select->test_only) return false;
    expr = select->operand.get();
  }
  return expr->As<IdentExpr>() != nullptr;
}

// How a token shows in an error message.
std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of input";
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kBytes:
      return "bytes literal";
    default:
      return absl::StrCat("'", std::string(token.text), "'");
  }
}

// Counts one level of ParseExpr recursion for as long as it lives.
class DepthGuard {
 public:
  explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
  ~DepthGuard() { --*depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int* depth_;
};

// A recursive-descent parser with one token of lookahead. Parse functions return nullptr on
// failure, after recording the first error in status_; nodes are only built from non-null
// children, so a nullptr propagates up to ParseAll.
class Parser {
 public:
  Parser(std::string_view source, const ParseOptions& options)
      : source_(source), options_(options), lexer_(source), token_(lexer_.Next()) {}

  // Parses the whole source as one expression.
  absl::StatusOr<ExprPtr> ParseAll();

 private:
  // The grammar, from the lowest precedence to the highest.
  ExprPtr ParseExpr();
  ExprPtr ParseBinary(Level level);
  ExprPtr ParseLogical(Level level);
  ExprPtr Balance(const char* function, std::vector<ExprPtr>* terms,
                  const std::vector<int32_t>& positions, size_t first, size_t last);
  ExprPtr ParseUnary();
  ExprPtr ParsePostfix(ExprPtr operand);
  ExprPtr ParseSelectOrCall(ExprPtr operand);
  ExprPtr ParseIndex(ExprPtr operand);
  ExprPtr ParsePrimary();
  ExprPtr ParseNumber(const Token& literal, int32_t position, bool negative);
  ExprPtr ParseIdentOrCall(const Token& name, int32_t position, bool leading_dot);
  ExprPtr ParseList(int32_t position);
  ExprPtr ParseMap(int32_t position);
  bool ParseArgs(std::vector<ExprPtr>* args);

  // Calls, and the macros that some calls are.
  ExprPtr MakeCall(int32_t position, ExprPtr target, std::string function,
                   std::vector<ExprPtr> args);
  ExprPtr ExpandMacro(const Macro& macro, int32_t position, ExprPtr target,
                      std::vector<ExprPtr> args);
  ExprPtr ExpandHas(ExprPtr arg);
  ExprPtr ExpandBind(const Macro& macro, int32_t position, std::vector<ExprPtr> args);
  ExprPtr ExpandBlock(const Macro& macro, int32_t position, std::vector<ExprPtr> args);
  ExprPtr ExpandBlockVariable(const Macro& macro, int32_t position,
                              const std::vector<ExprPtr>& args);
  ExprPtr ExpandComprehension(const Macro& macro, int32_t position, ExprPtr range,
                              std::vector<ExprPtr> args);
  void QuantifierLoop(MacroKind kind, int32_t position, ExprPtr predicate, ComprehensionExpr* loop);
  void TransformLoop(MacroKind kind, int32_t position, ExprPtr filter, ExprPtr body,
                     ComprehensionExpr* loop);
  bool VariableName(const Macro& macro, const Expr& arg, std::string* name);

  // Node construction; each returns nullptr if a child is null or the tree would be too tall.
  ExprPtr NewExpr(int32_t position, ExprNode node);
  template <typename... Args>
  ExprPtr NewCall(int32_t position, std::string function, Args... args) {
    CallExpr call;
    call.function = std::move(function);
    (call.args.push_back(std::move(args)), ...);
    return NewExpr(position, std::move(call));
  }
  ExprPtr NewConst(int32_t position, Literal value) {
    return NewExpr(position, ConstExpr{std::move(value)});
  }
  ExprPtr NewIdent(int32_t position, std::string name) {
    return NewExpr(position, IdentExpr{std::move(name)});
  }
  ExprPtr NewAccumulator(int32_t position) { return NewIdent(position, kAccumulator); }

  // Tokens and errors.
  const Token& Peek() const { return token_; }
  Token Take();
  bool Accept(TokenKind kind);
  bool Expect(TokenKind kind, std::string_view expected);
  std::nullptr_t Fail(int32_t offset, std::string reason);
  std::nullptr_t Unexpected(const Token& token, std::string_view expected = {});
  std::nullptr_t TooDeep(int32_t offset);

  std::string_view source_;
  ParseOptions options_;
  Lexer lexer_;
  Token token_;               // the next token
  int depth_ = 0;             // calls of ParseExpr in progress
  std::vector<int> heights_;  // heights_[id - 1]: the height of the tree under node `id`
  absl::Status status_;       // the first error
};

absl::StatusOr<ExprPtr> Parser::ParseAll() {
  ExprPtr root = ParseExpr();
  if (root != nullptr && Peek().kind != TokenKind::kEnd) Unexpected(Peek(), "end of input");
  if (!status_.ok()) return status_;
  return root;
}

// Expr = ConditionalOr ["?" ConditionalOr ":" Expr]. Every recursion of the parser passes
// through here, so this is where nesting is limited.
ExprPtr Parser::ParseExpr() {
  DepthGuard guard(&depth_);
  if (depth_ > options_.max_recursion_depth) return TooDeep(Peek().offset);
  ExprPtr condition = ParseBinary(kOrLevel);
  if (condition == nullptr || Peek().kind != TokenKind::kQuestion) return condition;
  const int32_t position = Take().offset;
  ExprPtr if_true = ParseBinary(kOrLevel);
  if (if_true == nullptr || !Expect(TokenKind::kColon, "':'")) return nullptr;
  ExprPtr if_false = ParseExpr();
  return NewCall(position, "_?_:_", std::move(condition), std::move(if_true), std::move(if_false));
}

// The left-associative binary operators of `level` and above.
ExprPtr Parser::ParseBinary(Level level) {
  if (level == kUnaryLevel) return ParseUnary();
  if (level == kOrLevel || level == kAndLevel) return ParseLogical(level);
  const auto next = static_cast<Level>(level + 1);
  ExprPtr left = ParseBinary(next);
  while (left != nullptr) {
    const char* function = BinaryFunction(Peek().kind, level);
    if (function == nullptr) break;
    const int32_t position = Take().offset;
    ExprPtr right = ParseBinary(next);
    left = NewCall(position, function, std::move(left), std::move(right));
  }
  return left;
}

// A chain of || (or of &&), built as a balanced tree so that long chains stay shallow.
ExprPtr Parser::ParseLogical(Level level) {
  const auto next = static_cast<Level>(level + 1);
  const char* function = level == kOrLevel ? "_||_" : "_&&_";
  std::vector<ExprPtr> terms;
  std::vector<int32_t> positions;  // of the operators between the terms
  terms.push_back(ParseBinary(next));
  while (terms.back() != nullptr && BinaryFunction(Peek().kind, level) != nullptr) {
    positions.push_back(Take().offset);
    terms.push_back(ParseBinary(next));
  }
  if (terms.back() == nullptr) return nullptr;
  return Balance(function, &terms, positions, 0, positions.size());
}

// Joins (*terms)[first..last] with the operators between them, positions[first..last-1].
ExprPtr Parser::Balance(const char* function, std::vector<ExprPtr>* terms,
                        const std::vector<int32_t>& positions, size_t first, size_t last) {
  if (first == last) return std::move((*terms)[first]);
  const size_t middle = first + (last - first) / 2;  // the operator at the root
  ExprPtr left = Balance(function, terms, positions, first, middle);
  ExprPtr right = Balance(function, terms, positions, middle + 1, last);
  return NewCall(positions[middle], function, std::move(left), std::move(right));
}

// Unary = Member | "!" {"!"} Member | "-" {"-"} Member.
ExprPtr Parser::ParseUnary() {
  const TokenKind op = Peek().kind;
  if (op != TokenKind::kNot && op != TokenKind::kMinus) return ParsePostfix(ParsePrimary());
  std::vector<int32_t> positions;
  while (Peek().kind == op) {
    if (static_cast<int>(positions.size()) >= options_.max_recursion_depth) {
      return TooDeep(Peek().offset);
    }
    positions.push_back(Take().offset);
  }
  ExprPtr operand;
  const TokenKind next = Peek().kind;
  if (op == TokenKind::kMinus && (next == TokenKind::kInt || next == TokenKind::kDouble)) {
    // The innermost '-' is the literal's sign, so that -9223372036854775808 is an int.
    operand = ParsePostfix(ParseNumber(Take(), positions.back(), /*negative=*/true));
    positions.pop_back();
  } else {
    operand = ParsePostfix(ParsePrimary());
  }
  const char* function = op == TokenKind::kNot ? "!_" : "-_";
  for (auto it = positions.rbegin(); it != positions.rend(); ++it) {
    operand = NewCall(*it, function, std::move(operand));
  }
  return operand;
}

// The selections, receiver calls and indexes that follow a primary expression.
ExprPtr Parser::ParsePostfix(ExprPtr operand) {
  while (operand != nullptr) {
    switch (Peek().kind) {
      case TokenKind::kDot:
        operand = ParseSelectOrCall(std::move(operand));
        break;
      case TokenKind::kLBracket:
        operand = ParseIndex(std::move(operand));
        break;
      case TokenKind::kLBrace:
        if (IsQualifiedName(operand.get())) {
          return Fail(Peek().offset, "Syntax error: message construction is not supported");
        }
        return operand;
      default:
        return operand;
    }
  }
  return nullptr;
}

// Member "." IDENT ["(" [ExprList] ")"], where IDENT may be reserved or escaped in backticks.
ExprPtr Parser::ParseSelectOrCall(ExprPtr operand) {
  Take();  // '.'
  if (Peek().kind == TokenKind::kQuestion) {
    return Fail(Peek().offset, "Syntax error: optional field selection ('.?') is not supported");
  }
  Token name = Take();
  if (name.kind == TokenKind::kEscapedIdent) {
    return NewExpr(name.offset, SelectExpr{std::move(operand), std::move(name.string_value)});
  }
  if (name.kind != TokenKind::kIdent) return Unexpected(name, "a field name");
  if (Peek().kind != TokenKind::kLParen) {
    return NewExpr(name.offset, SelectExpr{std::move(operand), std::string(name.text)});
  }
  std::vector<ExprPtr> args;
  if (!ParseArgs(&args)) return nullptr;
  return MakeCall(name.offset, std::move(operand), std::string(name.text), std::move(args));
}

// Member "[" Expr "]".
ExprPtr Parser::ParseIndex(ExprPtr operand) {
  const int32_t position = Take().offset;  // '['
  if (Peek().kind == TokenKind::kQuestion) {
    return Fail(Peek().offset, "Syntax error: optional indexing ('[?') is not supported");
  }
  ExprPtr index = ParseExpr();
  if (index == nullptr || !Expect(TokenKind::kRBracket, "']'")) return nullptr;
  return NewCall(position, "_[_]", std::move(operand), std::move(index));
}

ExprPtr Parser::ParsePrimary() {
  Token token = Take();
  const int32_t position = token.offset;
  switch (token.kind) {
    case TokenKind::kInt:
    case TokenKind::kUint:
    case TokenKind::kDouble:
      return ParseNumber(token, position, /*negative=*/false);
    case TokenKind::kString:
      return NewConst(position, std::move(token.string_value));
    case TokenKind::kBytes:
      return NewConst(position, BytesLiteral{std::move(token.string_value)});
    case TokenKind::kTrue:
      return NewConst(position, true);
    case TokenKind::kFalse:
      return NewConst(position, false);
    case TokenKind::kNull:
      return NewConst(position, NullLiteral{});
    case TokenKind::kIdent:
      return ParseIdentOrCall(token, position, /*leading_dot=*/false);
    case TokenKind::kDot: {
      const Token name = Take();
      if (name.kind != TokenKind::kIdent) return Unexpected(name, "an identifier");
      return ParseIdentOrCall(name, position, /*leading_dot=*/true);
    }
    case TokenKind::kLParen: {
      ExprPtr inner = ParseExpr();
      if (inner == nullptr || !Expect(TokenKind::kRParen, "')'")) return nullptr;
      return inner;
    }
    case TokenKind::kLBracket:
      return ParseList(position);
    case TokenKind::kLBrace:
      return ParseMap(position);
    default:
      return Unexpected(token);
  }
}

// An int, uint or double literal token, negated when `negative` (never for uint).
ExprPtr Parser::ParseNumber(const Token& literal, int32_t position, bool negative) {
  if (literal.kind == TokenKind::kDouble) {
    return NewConst(position, negative ? -literal.double_value : literal.double_value);
  }
  if (literal.kind == TokenKind::kUint) return NewConst(position, literal.int_value);
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // of the least int64
  const uint64_t magnitude = literal.int_value;
  if (magnitude > (negative ? kMinMagnitude : kMinMagnitude - 1)) {
    return Fail(literal.offset, "Syntax error: int literal out of range");
  }
  if (!negative) return NewConst(position, static_cast<int64_t>(magnitude));
  return NewConst(position, magnitude == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                                       : -static_cast<int64_t>(magnitude));
}

// ["."] IDENT ["(" [ExprList] ")"], after the IDENT token `name`.
ExprPtr Parser::ParseIdentOrCall(const Token& name, int32_t position, bool leading_dot) {
  if (IsReserved(name.text)) {
    return Fail(name.offset,
                absl::StrCat("Syntax error: reserved identifier '", std::string(name.text), "'"));
  }
  std::string identifier = absl::StrCat(leading_dot ? "." : "", std::string(name.text));
  if (Peek().kind != TokenKind::kLParen) return NewIdent(position, std::move(identifier));
  std::vector<ExprPtr> args;
  if (!ParseArgs(&args)) return nullptr;
  return MakeCall(position, nullptr, std::move(identifier), std::move(args));
}

// "[" [Expr {"," Expr} [","]] "]", after the '['.
ExprPtr Parser::ParseList(int32_t position) {
  ListExpr list;
  while (Peek().kind != TokenKind::kRBracket) {
    if (Peek().kind == TokenKind::kQuestion) {
      return Fail(Peek().offset, "Syntax error: optional list elements ('[?') are not supported");
    }
    list.elements.push_back(ParseExpr());
    if (list.elements.back() == nullptr) return nullptr;
    if (!Accept(TokenKind::kComma)) break;
  }
  if (!Expect(TokenKind::kRBracket, "',' or ']'")) return nullptr;
  return NewExpr(position, std::move(list));
}

// "{" [Expr ":" Expr {"," Expr ":" Expr} [","]] "}", after the '{'.
ExprPtr Parser::ParseMap(int32_t position) {
  MapExpr map;
  while (Peek().kind != TokenKind::kRBrace) {
    if (Peek().kind == TokenKind::kQuestion) {
      return Fail(Peek().offset, "Syntax error: optional map entries ('{?') are not supported");
    }
    MapEntry entry;
    entry.key = ParseExpr();
    if (entry.key == nullptr) return nullptr;
    entry.position = Peek().offset;
    if (!Expect(TokenKind::kColon, "':'")) return nullptr;
    entry.value = ParseExpr();
    if (entry.value == nullptr) return nullptr;
    map.entries.push_back(std::move(entry));
    if (!Accept(TokenKind::kComma)) break;
  }
  if (!Expect(TokenKind::kRBrace, "',' or '}'")) return nullptr;
  return NewExpr(position, std::move(map));
}

// "(" [Expr {"," Expr}] ")".
bool Parser::ParseArgs(std::vector<ExprPtr>* args) {
  Take();  // '('
  if (Accept(TokenKind::kRParen)) return true;
  do {
    args->push_back(ParseExpr());
    if (args->back() == nullptr) return false;
  } while (Accept(TokenKind::kComma));
  return Expect(TokenKind::kRParen, "',' or ')'");
}

ExprPtr Parser::MakeCall(int32_t position, ExprPtr target, std::string function,
                         std::vector<ExprPtr> args) {
  if (options_.enable_macros) {
    if (const Macro* macro = FindMacro(function, target.get(), args.size())) {
      return ExpandMacro(*macro, position, std::move(target), std::move(args));
    }
  }
  return NewExpr(position, CallExpr{std::move(target), std::move(function), std::move(args)});
}

ExprPtr Parser::ExpandMacro(const Macro& macro, int32_t position, ExprPtr target,
                            std::vector<ExprPtr> args) {
  switch (macro.kind) {
    case MacroKind::kHas:
      return ExpandHas(std::move(args[0]));
    case MacroKind::kBind:
      return ExpandBind(macro, position, std::move(args));
    case MacroKind::kBlock:
      return ExpandBlock(macro, position, std::move(args));
    case MacroKind::kIndex:
    case MacroKind::kIterVar:
    case MacroKind::kAccuVar:
      return ExpandBlockVariable(macro, position, args);
    default:
      return ExpandComprehension(macro, position, std::move(target), std::move(args));
  }
}

// has(a.f) is the selection a.f marked test_only.
ExprPtr Parser::ExpandHas(ExprPtr arg) {
  auto* select = std::get_if<SelectExpr>(&arg->node);
  if (select == nullptr || select->test_only) {
    return Fail(arg->position, "invalid argument to has() macro");
  }
  select->test_only = true;
  return arg;
}

// cel.bind(x, init, body): a loop over no elements whose accumulator x holds init while the
// result, body, is evaluated.
ExprPtr Parser::ExpandBind(const Macro& macro, int32_t position, std::vector<ExprPtr> args) {
  ComprehensionExpr bind;
  if (!VariableName(macro, *args[0], &bind.accu_var)) return nullptr;
  bind.iter_var = "#unused";
  bind.iter_range = NewExpr(position, ListExpr{});
  bind.accu_init = std::move(args[1]);
  bind.loop_condition = NewConst(position, false);
  bind.loop_step = NewIdent(position, bind.accu_var);
  bind.result = std::move(args[2]);
  return NewExpr(position, std::move(bind));
}

// cel.block([bindings], body), which optimizers emit, is the call cel.@block(bindings, body).
ExprPtr Parser::ExpandBlock(const Macro& macro, int32_t position, std::vector<ExprPtr> args) {
  if (args[0]->As<ListExpr>() == nullptr) {
    return Fail(args[0]->position,
                absl::StrCat(MacroName(macro), "() macro: the first argument must be a list"));
  }
  return NewCall(position, "cel.@block", std::move(args[0]), std::move(args[1]));
}

// cel.index(i), cel.iterVar(d, u) and cel.accuVar(d, u), the variables of cel.block, are the
// identifiers @index<i>, @it:<d>:<u> and @ac:<d>:<u>.
ExprPtr Parser::ExpandBlockVariable(const Macro& macro, int32_t position,
                                    const std::vector<ExprPtr>& args) {
  std::string name = macro.kind == MacroKind::kIndex     ? "@index"
                     : macro.kind == MacroKind::kIterVar ? "@it"
                                                         : "@ac";
  for (const ExprPtr& arg : args) {
    const auto* constant = arg->As<ConstExpr>();
    const int64_t* value = constant == nullptr ? nullptr : std::get_if<int64_t>(&constant->value);
    if (value == nullptr || *value < 0) {
      return Fail(arg->position,
                  absl::StrCat(MacroName(macro), "() macro: arguments must be non-negative ints"));
    }
    absl::StrAppend(&name, macro.kind == MacroKind::kIndex ? "" : ":", *value);
  }
  return NewIdent(position, std::move(name));
}

// range.macro(var, [var2,] [filter,] body) for the comprehension macros.
ExprPtr Parser::ExpandComprehension(const Macro& macro, int32_t position, ExprPtr range,
                                    std::vector<ExprPtr> args) {
  ComprehensionExpr loop;
  if (!VariableName(macro, *args[0], &loop.iter_var)) return nullptr;
  if (macro.variables == 2) {
    if (!VariableName(macro, *args[1], &loop.iter_var2)) return nullptr;
    if (loop.iter_var2 == loop.iter_var) {
      return Fail(args[1]->position,
                  absl::StrCat(MacroName(macro), "() macro: duplicate variable name '",
                               loop.iter_var, "'"));
    }
  }
  ExprPtr body = std::move(args.back());
  ExprPtr filter = args.size() == macro.variables + 2 ? std::move(args[macro.variables]) : nullptr;
  loop.iter_range = std::move(range);
  loop.accu_var = kAccumulator;
  if (macro.kind == MacroKind::kAll || macro.kind == MacroKind::kExists ||
      macro.kind == MacroKind::kExistsOne) {
    QuantifierLoop(macro.kind, position, std::move(body), &loop);
  } else {
    TransformLoop(macro.kind, position, std::move(filter), std::move(body), &loop);
  }
  return NewExpr(position, std::move(loop));
}

// all, exists and exists_one (kind), with `predicate` tested on each element.
void Parser::QuantifierLoop(MacroKind kind, int32_t position, ExprPtr predicate,
                            ComprehensionExpr* loop) {
  if (kind == MacroKind::kAll) {
    loop->accu_init = NewConst(position, true);
    loop->loop_condition = NewCall(position, "@not_strictly_false", NewAccumulator(position));
    loop->loop_step = NewCall(position, "_&&_", NewAccumulator(position), std::move(predicate));
    loop->result = NewAccumulator(position);
  } else if (kind == MacroKind::kExists) {
    loop->accu_init = NewConst(position, false);
    loop->loop_condition =
        NewCall(position, "@not_strictly_false", NewCall(position, "!_", NewAccumulator(position)));
    loop->loop_step = NewCall(position, "_||_", NewAccumulator(position), std::move(predicate));
    loop->result = NewAccumulator(position);
  } else {  // kExistsOne
    loop->accu_init = NewConst(position, int64_t{0});
    loop->loop_condition = NewConst(position, true);
    loop->loop_step =
        NewCall(position, "_?_:_", std::move(predicate),
                NewCall(position, "_+_", NewAccumulator(position), NewConst(position, int64_t{1})),
                NewAccumulator(position));
    loop->result =
        NewCall(position, "_==_", NewAccumulator(position), NewConst(position, int64_t{1}));
  }
}

// map/transformList, filter, transformMap and transformMapEntry (kind): build a list or a map
// from `body` for the elements that pass `filter` (all when it is null).
void Parser::TransformLoop(MacroKind kind, int32_t position, ExprPtr filter, ExprPtr body,
                           ComprehensionExpr* loop) {
  const bool to_map = kind == MacroKind::kTransformMap || kind == MacroKind::kTransformMapEntry;
  loop->accu_init = to_map ? NewExpr(position, MapExpr{}) : NewExpr(position, ListExpr{});
  loop->loop_condition = NewConst(position, true);
  if (kind == MacroKind::kFilter) {  // filter(x, p) keeps x where p holds
    filter = std::move(body);
    body = NewIdent(position, loop->iter_var);
  }
  ExprPtr step;
  if (kind == MacroKind::kTransformMap) {
    step = NewCall(position, "cel.@mapInsert", NewAccumulator(position),
                   NewIdent(position, loop->iter_var), std::move(body));
  } else if (kind == MacroKind::kTransformMapEntry) {
    step = NewCall(position, "cel.@mapInsert", NewAccumulator(position), std::move(body));
  } else {
    ListExpr element;
    element.elements.push_back(std::move(body));
    step =
        NewCall(position, "_+_", NewAccumulator(position), NewExpr(position, std::move(element)));
  }
  if (filter != nullptr) {
    step = NewCall(position, "_?_:_", std::move(filter), std::move(step), NewAccumulator(position));
  }
  loop->loop_step = std::move(step);
  loop->result = NewAccumulator(position);
}

// The name of a macro's variable argument, which must be a simple identifier.
bool Parser::VariableName(const Macro& macro, const Expr& arg, std::string* name) {
  const auto* ident = arg.As<IdentExpr>();
  if (ident == nullptr || ident->name[0] == '.') {
    Fail(arg.position,
         absl::StrCat(MacroName(macro), "() macro: variable name must be a simple identifier"));
    return false;
  }
  *name = ident->name;
  return true;
}

ExprPtr Parser::NewExpr(int32_t position, ExprNode node) {
  int child_height = 0;
  bool complete = true;
  ForEachChild(node, [&](const ExprPtr& child) {
    if (child == nullptr) {
      complete = false;
    } else {
      child_height = std::max(child_height, heights_[child->id - 1]);
    }
  });
  if (!complete) return nullptr;  // status_ says why
  if (child_height >= options_.max_recursion_depth) return TooDeep(position);
  heights_.push_back(child_height + 1);
  auto expr = std::make_unique<Expr>();
  expr->id = static_cast<int64_t>(heights_.size());
  expr->position = position;
  expr->node = std::move(node);
  return expr;
}

Token Parser::Take() {
  Token taken = std::move(token_);
  token_ = lexer_.Next();
  return taken;
}

// Takes the next token if it is of `kind`.
bool Parser::Accept(TokenKind kind) {
  if (Peek().kind != kind) return false;
  Take();
  return true;
}

// Takes the next token, which must be of `kind`; `expected` describes it for the error.
bool Parser::Expect(TokenKind kind, std::string_view expected) {
  if (Accept(kind)) return true;
  Unexpected(Peek(), expected);
  return false;
}

std::nullptr_t Parser::Fail(int32_t offset, std::string reason) {
  if (status_.ok()) {
    status_ =
        absl::InvalidArgumentError(absl::StrCat(FormatPosition(source_, offset), ": ", reason));
  }
  return nullptr;
}

std::nullptr_t Parser::Unexpected(const Token& token, std::string_view expected) {
  if (token.kind == TokenKind::kError) {
    return Fail(token.offset, absl::StrCat("Syntax error: ", token.string_value));
  }
  std::string reason = absl::StrCat("Syntax error: unexpected ", Describe(token));
  if (!expected.empty()) absl::StrAppend(&reason, ", expected ", std::string(expected));
  return Fail(token.offset, std::move(reason));
}

std::nullptr_t Parser::TooDeep(int32_t offset) {
  return Fail(offset, absl::StrCat("Syntax error: expression nested too deeply (limit ",
                                   options_.max_recursion_depth, ")"));
}

}  // namespace

absl::StatusOr<ParsedExpr> Parse(std::string_view source, const ParseOptions& options) {
  if (source.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError("1:1: Syntax error: expression too long");
  }
  Parser parser(source, options);
  absl::StatusOr<ExprPtr> root = parser.ParseAll();
  if (!root.ok()) return root.status();
  ParsedExpr parsed;
  parsed.root = *std::move(root);
  parsed.source = std::string(source);
  return parsed;
}

std::string FormatPosition(std::string_view source, int32_t offset) {
  const size_t end = std::min(static_cast<size_t>(std::max(offset, 0)), source.size());
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) {
      ++column;  // the first byte of a code point
    }
  }
  return absl::StrCat(line, ":", column);
}

}  // namespace runledger::cel
