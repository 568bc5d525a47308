// The parser of CEL: the whole grammar of cel-spec's language definition (langdef.md, "Syntax"),
// producing the AST of ast.h with the standard macros expanded.
//
// What it produces:
// - Operators become calls of their reserved function names (_+_, @in, _[_], ...); a receiver
//   call x.f(a) is a CallExpr with target x. A '-' directly before an int or double literal is
//   folded into the literal (so -9223372036854775808 is the least int64), as cel-go does.
// - Chains of && and of || become balanced trees (as in cel-go), keeping the tree shallow;
//   the operators are commutative in CEL, so the meaning is that of left-to-right nesting.
// - With ParseOptions::enable_macros, has(), all, exists, exists_one, map and filter expand into
//   Select/Comprehension nodes exactly as cel-go expands them (accumulator "@result"), as do
//   cel-go's extension macros: the two-variable all, exists, existsOne/exists_one,
//   transformList, transformMap and transformMapEntry, cel.bind(var, init, body), and the
//   block extension that optimizers emit: cel.block(list, body) becomes the call
//   cel.@block(list, body), cel.index(i) the identifier @index<i>, cel.iterVar(d, u) and
//   cel.accuVar(d, u) the identifiers @it:<d>:<u> and @ac:<d>:<u>. transformMap and
//   transformMapEntry step with the function "cel.@mapInsert" (map, key, value) or (map, map),
//   as cel-go does.
// - Field names may be escaped with backticks (a.`b-c`), as in cel-spec's conformance tests.
// - Not supported, reported as errors that say so: message construction (Name{f: v}) and the
//   optional syntax (x.?f, m[?k], [?e], {?k: v}).
//
// Invariants:
// - Every node has a unique id, counting from 1, and position = the byte offset of the token
//   that made it: the operator for operators (the '-' for a folded negative literal), the name
//   for idents (the leading '.', if any), calls, selections and macros, the '[' or '{' for
//   index, list and map, the ':' for a map entry.
// - No tree is taller than ParseOptions::max_recursion_depth, and the parser never nests more
//   deeply than that, so neither parsing nor walking the result can exhaust the stack.
// - Parsing takes time and memory linear in the length of the source, and never throws.
#ifndef RUNLEDGER_QUERY_CEL_PARSER_H_
#define RUNLEDGER_QUERY_CEL_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/query/cel/ast.h"

namespace runledger::cel {

struct ParseOptions {
  int max_recursion_depth = 200;  // nesting limit; deeper input is an error, never a stack overflow
  bool enable_macros = true;
};

// Parses CEL source text. On failure: absl::InvalidArgumentError("<line>:<column>: <reason>"),
// 1-based line and column (column counted in code points), reason like "Syntax error:
// unexpected ')'" (lexical and grammatical errors) or "invalid argument to has() macro".
absl::StatusOr<ParsedExpr> Parse(std::string_view source, const ParseOptions& options = {});

// "<line>:<column>" of a byte offset in source, for errors raised after parsing. Offsets out of
// range are clamped to the source.
std::string FormatPosition(std::string_view source, int32_t offset);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_PARSER_H_
