// The abstract syntax tree of a CEL expression, as the parser produces it and the evaluator
// plans it.
//
// The shape follows cel-spec's canonical AST (cel.expr.Expr): every operator is a Call of a
// function with a reserved name, macros are already expanded into Comprehensions, and has(x.f)
// is a Select with test_only set. Each node carries a unique id (within one tree) and the byte
// offset in the source of the token that made it, so that later errors can name a position.
//
// Reserved function names (cel-spec "Operators"):
//   _+_ _-_ _*_ _/_ _%_ -_ (negation) !_ (not)
//   _==_ _!=_ _<_ _<=_ _>_ _>=_ @in
//   _&&_ _||_ _?_:_ (conditional) _[_] (index)
//   @not_strictly_false (used by the all() and exists() expansions: true unless the
//   argument is false; an error counts as true)
#ifndef RUNLEDGER_QUERY_CEL_AST_H_
#define RUNLEDGER_QUERY_CEL_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace runledger::cel {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A literal. Bytes are a std::string tagged by this wrapper so that they stay apart from text.
struct NullLiteral {};
struct BytesLiteral {
  std::string value;
};
using Literal =
    std::variant<NullLiteral, bool, int64_t, uint64_t, double, std::string, BytesLiteral>;

struct ConstExpr {
  Literal value;
};

// A (possibly qualified) name's first or only segment; a leading dot ('.y', root scope) is
// kept in the name.
struct IdentExpr {
  std::string name;
};

// operand.field, or has(operand.field) when test_only.
struct SelectExpr {
  ExprPtr operand;
  std::string field;
  bool test_only = false;
};

// function(args...) or target.function(args...). Operators are global calls (no target).
struct CallExpr {
  ExprPtr target;  // null for global calls
  std::string function;
  std::vector<ExprPtr> args;
};

struct ListExpr {
  std::vector<ExprPtr> elements;
};

struct MapEntry {
  ExprPtr key;
  ExprPtr value;
  int32_t position = 0;
};
struct MapExpr {
  std::vector<MapEntry> entries;
};

// The expansion of a macro (cel-spec "Macros"):
//   accu = accu_init
//   for each element (iter_var; iter_var2 = value for maps / element for lists when the
//   two-variable form is used) of iter_range:
//     if !loop_condition: break
//     accu = loop_step
//   return result
// accu_var is "@result" for the standard macros.
struct ComprehensionExpr {
  std::string iter_var;
  std::string iter_var2;  // empty unless a two-variable comprehension
  ExprPtr iter_range;
  std::string accu_var;
  ExprPtr accu_init;
  ExprPtr loop_condition;
  ExprPtr loop_step;
  ExprPtr result;
};

struct Expr {
  int64_t id = 0;
  int32_t position = 0;  // byte offset in the source text
  std::variant<ConstExpr, IdentExpr, SelectExpr, CallExpr, ListExpr, MapExpr, ComprehensionExpr>
      node;

  template <typename T>
  const T* As() const {
    return std::get_if<T>(&node);
  }
};

// A parsed expression with what error messages need to turn offsets into line:column.
struct ParsedExpr {
  ExprPtr root;
  std::string source;
};

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_AST_H_
