// Tests of the CEL lexer and parser: literal values, precedence and associativity (through a
// canonical parenthesised printing of the AST), macro expansions, ids and positions, error
// messages, nesting limits, and every usable expression of cel-spec's conformance tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/query/cel/parser.h"

namespace runledger::cel {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// ---------------------------------------------------------------------------------------------
// A canonical printing of the AST: every operator call in parentheses, macros as
// __comprehension__(...) and presence tests as has(...).

std::string Print(const Expr& expr);

std::string PrintLiteral(const Literal& literal) {
  if (std::holds_alternative<NullLiteral>(literal)) return "null";
  if (const bool* b = std::get_if<bool>(&literal)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&literal)) return absl::StrCat(*i);
  if (const uint64_t* u = std::get_if<uint64_t>(&literal)) return absl::StrCat(*u, "u");
  if (const double* d = std::get_if<double>(&literal)) return absl::StrFormat("%#g", *d);
  if (const std::string* s = std::get_if<std::string>(&literal)) {
    return absl::StrCat("\"", absl::CEscape(*s), "\"");
  }
  return absl::StrCat("b\"", absl::CEscape(std::get<BytesLiteral>(literal).value), "\"");
}

// The symbol of an operator function, or "" if `function` is not an operator.
std::string OperatorSymbol(const std::string& function) {
  static const auto* const kSymbols = new std::map<std::string, std::string>{
      {"_+_", "+"},   {"_-_", "-"},   {"_*_", "*"},   {"_/_", "/"}, {"_%_", "%"},   {"_==_", "=="},
      {"_!=_", "!="}, {"_<_", "<"},   {"_<=_", "<="}, {"_>_", ">"}, {"_>=_", ">="}, {"@in", "in"},
      {"_&&_", "&&"}, {"_||_", "||"}, {"-_", "-"},    {"!_", "!"}};
  auto it = kSymbols->find(function);
  return it == kSymbols->end() ? "" : it->second;
}

std::string PrintAll(const std::vector<ExprPtr>& exprs) {
  std::vector<std::string> printed;
  for (const ExprPtr& expr : exprs) printed.push_back(Print(*expr));
  return absl::StrJoin(printed, ", ");
}

std::string PrintCall(const CallExpr& call) {
  const std::string symbol = OperatorSymbol(call.function);
  if (!symbol.empty() && call.args.size() == 2) {
    return absl::StrCat("(", Print(*call.args[0]), " ", symbol, " ", Print(*call.args[1]), ")");
  }
  if (!symbol.empty() && call.args.size() == 1) {
    return absl::StrCat("(", symbol, Print(*call.args[0]), ")");
  }
  if (call.function == "_?_:_") {
    return absl::StrCat("(", Print(*call.args[0]), " ? ", Print(*call.args[1]), " : ",
                        Print(*call.args[2]), ")");
  }
  if (call.function == "_[_]") {
    return absl::StrCat(Print(*call.args[0]), "[", Print(*call.args[1]), "]");
  }
  const std::string target = call.target == nullptr ? "" : Print(*call.target) + ".";
  return absl::StrCat(target, call.function, "(", PrintAll(call.args), ")");
}

std::string PrintComprehension(const ComprehensionExpr& loop) {
  std::vector<std::string> parts = {loop.iter_var};
  if (!loop.iter_var2.empty()) parts.push_back(loop.iter_var2);
  parts.insert(parts.end(),
               {Print(*loop.iter_range), loop.accu_var, Print(*loop.accu_init),
                Print(*loop.loop_condition), Print(*loop.loop_step), Print(*loop.result)});
  return absl::StrCat("__comprehension__(", absl::StrJoin(parts, ", "), ")");
}

std::string Print(const Expr& expr) {
  if (const auto* constant = expr.As<ConstExpr>()) return PrintLiteral(constant->value);
  if (const auto* ident = expr.As<IdentExpr>()) return ident->name;
  if (const auto* select = expr.As<SelectExpr>()) {
    const std::string selection = absl::StrCat(Print(*select->operand), ".", select->field);
    return select->test_only ? absl::StrCat("has(", selection, ")") : selection;
  }
  if (const auto* call = expr.As<CallExpr>()) return PrintCall(*call);
  if (const auto* list = expr.As<ListExpr>())
    return absl::StrCat("[", PrintAll(list->elements), "]");
  if (const auto* map = expr.As<MapExpr>()) {
    std::vector<std::string> entries;
    for (const MapEntry& entry : map->entries) {
      entries.push_back(absl::StrCat(Print(*entry.key), ": ", Print(*entry.value)));
    }
    return absl::StrCat("{", absl::StrJoin(entries, ", "), "}");
  }
  return PrintComprehension(*expr.As<ComprehensionExpr>());
}

ParseOptions Options(int max_recursion_depth, bool macros = true) {
  ParseOptions options;
  options.max_recursion_depth = max_recursion_depth;
  options.enable_macros = macros;
  return options;
}

// The children of a node.
std::vector<const Expr*> Children(const Expr& expr) {
  std::vector<const Expr*> children;
  auto visit = [&children](const ExprPtr& child) { children.push_back(child.get()); };
  if (const auto* select = expr.As<SelectExpr>()) {
    visit(select->operand);
  } else if (const auto* call = expr.As<CallExpr>()) {
    if (call->target != nullptr) visit(call->target);
    for (const ExprPtr& arg : call->args) visit(arg);
  } else if (const auto* list = expr.As<ListExpr>()) {
    for (const ExprPtr& element : list->elements) visit(element);
  } else if (const auto* map = expr.As<MapExpr>()) {
    for (const MapEntry& entry : map->entries) {
      visit(entry.key);
      visit(entry.value);
    }
  } else if (const auto* loop = expr.As<ComprehensionExpr>()) {
    for (const ExprPtr* child : {&loop->iter_range, &loop->accu_init, &loop->loop_condition,
                                 &loop->loop_step, &loop->result}) {
      visit(*child);
    }
  }
  return children;
}

// Every node of a tree, parents before children.
void Collect(const Expr& expr, std::vector<const Expr*>* out) {
  out->push_back(&expr);
  for (const Expr* child : Children(expr)) Collect(*child, out);
}

int Height(const Expr& expr) {
  int height = 0;
  for (const Expr* child : Children(expr)) height = std::max(height, Height(*child));
  return height + 1;
}

// Parses `source`, failing the test (and returning "") if it does not parse.
std::string ParseAndPrint(std::string_view source, const ParseOptions& options = {}) {
  absl::StatusOr<ParsedExpr> parsed = Parse(source, options);
  EXPECT_TRUE(parsed.ok()) << source << ": " << parsed.status();
  return parsed.ok() ? Print(*parsed->root) : "";
}

// The error message of parsing `source`, or "" (and a test failure) if it parses.
std::string ParseError(std::string_view source, const ParseOptions& options = {}) {
  absl::StatusOr<ParsedExpr> parsed = Parse(source, options);
  if (parsed.ok()) {
    ADD_FAILURE() << source << " parsed as " << Print(*parsed->root);
    return "";
  }
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

// The literal that `source` parses to, which must be a T.
template <typename T>
T LiteralValue(std::string_view source) {
  absl::StatusOr<ParsedExpr> parsed = Parse(source);
  if (!parsed.ok()) {
    ADD_FAILURE() << source << ": " << parsed.status();
    return T{};
  }
  const auto* constant = parsed->root->As<ConstExpr>();
  const T* value = constant == nullptr ? nullptr : std::get_if<T>(&constant->value);
  if (value == nullptr) {
    ADD_FAILURE() << source << " is not a literal of the expected type: " << Print(*parsed->root);
    return T{};
  }
  return *value;
}

std::string StringValue(std::string_view source) { return LiteralValue<std::string>(source); }
std::string BytesValue(std::string_view source) { return LiteralValue<BytesLiteral>(source).value; }

std::string Repeat(std::string_view text, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) absl::StrAppend(&out, std::string(text));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Literals.

TEST(CelParserTest, IntLiterals) {
  EXPECT_EQ(LiteralValue<int64_t>("0"), 0);
  EXPECT_EQ(LiteralValue<int64_t>("42"), 42);
  EXPECT_EQ(LiteralValue<int64_t>("007"), 7);
  EXPECT_EQ(LiteralValue<int64_t>("0x1F"), 31);
  EXPECT_EQ(LiteralValue<int64_t>("0xabcDEF"), 0xabcdef);
  EXPECT_EQ(LiteralValue<int64_t>("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(LiteralValue<int64_t>("0x7fffffffffffffff"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(LiteralValue<int64_t>("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(LiteralValue<int64_t>("-0x8000000000000000"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(LiteralValue<int64_t>("-1"), -1);
  EXPECT_EQ(LiteralValue<int64_t>("- 5"), -5);
  EXPECT_EQ(LiteralValue<int64_t>("-0"), 0);
}

TEST(CelParserTest, UintLiterals) {
  EXPECT_EQ(LiteralValue<uint64_t>("0u"), 0u);
  EXPECT_EQ(LiteralValue<uint64_t>("42U"), 42u);
  EXPECT_EQ(LiteralValue<uint64_t>("0xFFu"), 255u);
  EXPECT_EQ(LiteralValue<uint64_t>("9223372036854775808u"), uint64_t{1} << 63);
  EXPECT_EQ(LiteralValue<uint64_t>("18446744073709551615u"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(LiteralValue<uint64_t>("0xFFFFFFFFFFFFFFFFU"), std::numeric_limits<uint64_t>::max());
  // A minus before a uint is an operator, not a sign.
  EXPECT_EQ(ParseAndPrint("-1u"), "(-1u)");
}

TEST(CelParserTest, DoubleLiterals) {
  EXPECT_EQ(LiteralValue<double>("1.5"), 1.5);
  EXPECT_EQ(LiteralValue<double>(".5"), 0.5);
  EXPECT_EQ(LiteralValue<double>("1e3"), 1000.0);
  EXPECT_EQ(LiteralValue<double>("2E2"), 200.0);
  EXPECT_EQ(LiteralValue<double>("1.5e-3"), 0.0015);
  EXPECT_EQ(LiteralValue<double>("0e+0"), 0.0);
  EXPECT_EQ(LiteralValue<double>("-2.3e+1"), -23.0);
  EXPECT_EQ(LiteralValue<double>(".5e1"), 5.0);
  EXPECT_EQ(LiteralValue<double>("1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(LiteralValue<double>("4.9e-324"), std::numeric_limits<double>::denorm_min());
  const double negative_zero = LiteralValue<double>("-0.0");
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
}

TEST(CelParserTest, BoolAndNullLiterals) {
  EXPECT_TRUE(LiteralValue<bool>("true"));
  EXPECT_FALSE(LiteralValue<bool>("false"));
  LiteralValue<NullLiteral>("null");
}

TEST(CelParserTest, StringLiterals) {
  EXPECT_EQ(StringValue("'hello'"), "hello");
  EXPECT_EQ(StringValue("\"hello\""), "hello");
  EXPECT_EQ(StringValue("''"), "");
  EXPECT_EQ(StringValue("\"\""), "");
  EXPECT_EQ(StringValue("''''''"), "");
  EXPECT_EQ(StringValue("'\"\"'"), "\"\"");
  EXPECT_EQ(StringValue("'''x''x'''"), "x''x");
  EXPECT_EQ(StringValue("\"\"\"x\"\"y\"\"\""), "x\"\"y");
  EXPECT_EQ(StringValue("'''a\nb\r\nc'''"), "a\nb\r\nc");
  EXPECT_EQ(StringValue("'h\xC3\xA9llo \xF0\x9F\x98\x80'"), "h\xC3\xA9llo \xF0\x9F\x98\x80");
  EXPECT_EQ(StringValue("'a\tb'"), "a\tb");
}

TEST(CelParserTest, StringEscapes) {
  EXPECT_EQ(StringValue(R"('\a\b\f\n\r\t\v')"), "\a\b\f\n\r\t\v");
  EXPECT_EQ(StringValue(R"('\\ \' \" \` \?')"), "\\ ' \" ` ?");
  EXPECT_EQ(StringValue(R"("\"")"), "\"");
  EXPECT_EQ(StringValue(R"('''\'''')"), "'");
  // Octal and \x escapes are code points in strings.
  EXPECT_EQ(StringValue(R"('\101\000\177')"), std::string("A\0\x7F", 3));
  EXPECT_EQ(StringValue(R"('\377')"), "\xC3\xBF");
  EXPECT_EQ(StringValue(R"('\303\277')"), "\xC3\x83\xC2\xBF");
  EXPECT_EQ(StringValue(R"('\x41\X42\xff')"), "AB\xC3\xBF");
  EXPECT_EQ(StringValue(R"('\u00e9\u01aB')"), "\xC3\xA9\xC6\xAB");
  EXPECT_EQ(StringValue(R"('\uFFFB')"), "\xEF\xBF\xBB");
  EXPECT_EQ(StringValue(R"('\U0001F62C\U00088888')"), "\xF0\x9F\x98\xAC\xF2\x88\xA2\x88");
  EXPECT_EQ(StringValue(R"('\U0010FFFF')"), "\xF4\x8F\xBF\xBF");
}

TEST(CelParserTest, RawStrings) {
  EXPECT_EQ(StringValue(R"(r'\n\x\u')"), R"(\n\x\u)");
  EXPECT_EQ(StringValue(R"(R"\\")"), R"(\\)");
  EXPECT_EQ(StringValue(R"(r'\')"), R"(\)");
  EXPECT_EQ(StringValue(R"(r"'")"), "'");
  EXPECT_EQ(StringValue(R"(r'''a\''')"), R"(a\)");
  EXPECT_EQ(StringValue("R\"\"\"a\nb\"\"\""), "a\nb");
}

TEST(CelParserTest, BytesLiterals) {
  EXPECT_EQ(BytesValue("b'abc'"), "abc");
  EXPECT_EQ(BytesValue("B\"abc\""), "abc");
  EXPECT_EQ(BytesValue("b''''''"), "");
  EXPECT_EQ(BytesValue("b'\xC3\xBF'"), "\xC3\xBF");  // the UTF-8 of the text
  // Octal and \x escapes are byte values in bytes.
  EXPECT_EQ(BytesValue(R"(b'\377\xff\XFe')"), "\xFF\xFF\xFE");
  EXPECT_EQ(BytesValue(R"(b'\303\277')"), "\xC3\xBF");
  EXPECT_EQ(BytesValue(R"(B"\x00\000")"), std::string("\0\0", 2));
  EXPECT_EQ(BytesValue(R"(b'\a\n\\\'')"), "\a\n\\'");
  EXPECT_EQ(BytesValue("b'''a\nb'''"), "a\nb");
  // Raw bytes, with the prefixes in either order and case.
  for (const char* prefix : {"br", "bR", "Br", "BR", "rb", "Rb", "rB", "RB"}) {
    EXPECT_EQ(BytesValue(absl::StrCat(prefix, R"('\n\x00')")), R"(\n\x00)") << prefix;
  }
}

TEST(CelParserTest, StringPrefixLettersAreIdentifiersWithoutAQuote) {
  EXPECT_EQ(ParseAndPrint("r + b + rb + br + bb"), "((((r + b) + rb) + br) + bb)");
  EXPECT_THAT(ParseError("bb'x'"), HasSubstr("unexpected string literal"));
  EXPECT_THAT(ParseError("rr'x'"), HasSubstr("unexpected string literal"));
}

// ---------------------------------------------------------------------------------------------
// Precedence and associativity.

struct Printed {
  const char* source;
  const char* printed;
};

TEST(CelParserTest, PrecedenceAndAssociativity) {
  const Printed kCases[] = {
      {"a || b && c", "(a || (b && c))"},
      {"a && b || c", "((a && b) || c)"},
      {"a || b == c", "(a || (b == c))"},
      {"a < b == c", "((a < b) == c)"},
      {"a == b != c", "((a == b) != c)"},
      {"a in b in c", "((a in b) in c)"},
      {"a <= b >= c > d < e", "((((a <= b) >= c) > d) < e)"},
      {"a + b < c * d", "((a + b) < (c * d))"},
      {"a + b * c", "(a + (b * c))"},
      {"a * b + c", "((a * b) + c)"},
      {"a - b - c", "((a - b) - c)"},
      {"a - b + c", "((a - b) + c)"},
      {"a / b % c * d", "(((a / b) % c) * d)"},
      {"-a * b", "((-a) * b)"},
      {"!a && b", "((!a) && b)"},
      {"!!a", "(!(!a))"},
      {"--a", "(-(-a))"},
      {"!!!a", "(!(!(!a)))"},
      {"-a.b", "(-a.b)"},
      {"-a[0]", "(-a[0])"},
      {"-f(x)", "(-f(x))"},
      {"!a.b()", "(!a.b())"},
      {"a ? b : c", "(a ? b : c)"},
      {"a ? b : c ? d : e", "(a ? b : (c ? d : e))"},
      {"a || b ? c && d : e || f", "((a || b) ? (c && d) : (e || f))"},
      {"(a ? b : c) ? d : e", "((a ? b : c) ? d : e)"},
      {"a ? (b ? c : d) : e", "(a ? (b ? c : d) : e)"},
      {"(a + b) * c", "((a + b) * c)"},
      {"a + b < c && d", "(((a + b) < c) && d)"},
      {"x in [1, 2] || y", "((x in [1, 2]) || y)"},
      // Negative literals fold; other minus signs are operators.
      {"-1", "-1"},
      {"-1 + 2", "(-1 + 2)"},
      {"1 - -1", "(1 - -1)"},
      {"1-1", "(1 - 1)"},
      {"-(1)", "(-1)"},
      {"--1", "(--1)"},
      {"-1.5", "-1.50000"},
      {"-x", "(-x)"},
  };
  for (const Printed& c : kCases) EXPECT_EQ(ParseAndPrint(c.source), c.printed) << c.source;
}

TEST(CelParserTest, LogicalChainsAreBalanced) {
  EXPECT_EQ(ParseAndPrint("a && b && c"), "((a && b) && c)");
  EXPECT_EQ(ParseAndPrint("a && b && c && d"), "((a && b) && (c && d))");
  EXPECT_EQ(ParseAndPrint("a || b || c || d || e"), "(((a || b) || c) || (d || e))");
  // A long chain is far shallower than the nesting limit.
  const std::string chain = "a" + Repeat(" || a", 100000);
  absl::StatusOr<ParsedExpr> parsed = Parse(chain);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(Height(*parsed->root), 18);  // 1 + ceil(log2(100001))
}

TEST(CelParserTest, MembersCallsAndAggregates) {
  const Printed kCases[] = {
      {"a.b.c", "a.b.c"},
      {"a.b(c).d[e]", "a.b(c).d[e]"},
      {"a[b][c]", "a[b][c]"},
      {"f()", "f()"},
      {"f(a, b + c)", "f(a, (b + c))"},
      {"x.f()", "x.f()"},
      {"x.f(y).g(z)", "x.f(y).g(z)"},
      {".a", ".a"},
      {".a.b", ".a.b"},
      {". a", ".a"},
      {".f(x)", ".f(x)"},
      {"a.`b-c`", "a.b-c"},
      {"a.`foo.txt/x y_1`.z", "a.foo.txt/x y_1.z"},
      {"a.as() || a.if.while", "(a.as() || a.if.while)"},
      {"[]", "[]"},
      {"[1, 2,]", "[1, 2]"},
      {"[[1], [2, [3]]]", "[[1], [2, [3]]]"},
      {"{}", "{}"},
      {"{1: 2, 'a': b,}", "{1: 2, \"a\": b}"},
      {"{a: {b: c}}[a][b]", "{a: {b: c}}[a][b]"},
      {"[1, 2][0].f()", "[1, 2][0].f()"},
      {"(x).y", "x.y"},
      {"'abc'.size()", "\"abc\".size()"},
      {"1.size()", "1.size()"},
      {"a // comment\n + b // another", "(a + b)"},
      {"\ta\r\n+\fb  ", "(a + b)"},
  };
  for (const Printed& c : kCases) EXPECT_EQ(ParseAndPrint(c.source), c.printed) << c.source;
}

// ---------------------------------------------------------------------------------------------
// Macros.

TEST(CelParserTest, StandardMacros) {
  const Printed kCases[] = {
      {"has(a.b)", "has(a.b)"},
      {"has(a.b.c)", "has(a.b.c)"},
      {"has({'a': 1}.`a-b`)", "has({\"a\": 1}.a-b)"},
      {"e.all(x, p)",
       "__comprehension__(x, e, @result, true, @not_strictly_false(@result), (@result && p), "
       "@result)"},
      {"e.exists(x, p)",
       "__comprehension__(x, e, @result, false, @not_strictly_false((!@result)), (@result || p), "
       "@result)"},
      {"e.exists_one(x, p)",
       "__comprehension__(x, e, @result, 0, true, (p ? (@result + 1) : @result), (@result == 1))"},
      {"e.map(x, t)", "__comprehension__(x, e, @result, [], true, (@result + [t]), @result)"},
      {"e.map(x, p, t)",
       "__comprehension__(x, e, @result, [], true, (p ? (@result + [t]) : @result), @result)"},
      {"e.filter(x, p)",
       "__comprehension__(x, e, @result, [], true, (p ? (@result + [x]) : @result), @result)"},
      {"[1, 2].all(x, x > 0)",
       "__comprehension__(x, [1, 2], @result, true, @not_strictly_false(@result), "
       "(@result && (x > 0)), @result)"},
      {"[1].exists(x, [2].all(y, x < y))",
       "__comprehension__(x, [1], @result, false, @not_strictly_false((!@result)), (@result || "
       "__comprehension__(y, [2], @result, true, @not_strictly_false(@result), (@result && (x < "
       "y)), @result)), @result)"},
      // Calls that match no macro stay calls.
      {"all(x, p)", "all(x, p)"},
      {"e.all(x)", "e.all(x)"},
      {"e.map(x, p, t, u)", "e.map(x, p, t, u)"},
      {"e.has(a.b)", "e.has(a.b)"},
      {".has(a.b)", ".has(a.b)"},
      {"x.bind(a, b, c)", "x.bind(a, b, c)"},
      {"cel.bind(a, b)", "cel.bind(a, b)"},
  };
  for (const Printed& c : kCases) EXPECT_EQ(ParseAndPrint(c.source), c.printed) << c.source;
}

TEST(CelParserTest, ExtensionMacros) {
  const Printed kCases[] = {
      {"m.all(k, v, p)",
       "__comprehension__(k, v, m, @result, true, @not_strictly_false(@result), (@result && p), "
       "@result)"},
      {"m.exists(k, v, p)",
       "__comprehension__(k, v, m, @result, false, @not_strictly_false((!@result)), (@result || "
       "p), @result)"},
      {"m.existsOne(k, v, p)",
       "__comprehension__(k, v, m, @result, 0, true, (p ? (@result + 1) : @result), (@result == "
       "1))"},
      {"m.exists_one(k, v, p)",
       "__comprehension__(k, v, m, @result, 0, true, (p ? (@result + 1) : @result), (@result == "
       "1))"},
      {"l.transformList(i, v, t)",
       "__comprehension__(i, v, l, @result, [], true, (@result + [t]), @result)"},
      {"l.transformList(i, v, p, t)",
       "__comprehension__(i, v, l, @result, [], true, (p ? (@result + [t]) : @result), @result)"},
      {"m.transformMap(k, v, t)",
       "__comprehension__(k, v, m, @result, {}, true, cel.@mapInsert(@result, k, t), @result)"},
      {"m.transformMap(k, v, p, t)",
       "__comprehension__(k, v, m, @result, {}, true, (p ? cel.@mapInsert(@result, k, t) : "
       "@result), @result)"},
      {"m.transformMapEntry(k, v, {v: k})",
       "__comprehension__(k, v, m, @result, {}, true, cel.@mapInsert(@result, {v: k}), @result)"},
      {"cel.bind(x, 1, x + 1)", "__comprehension__(#unused, [], x, 1, false, x, (x + 1))"},
      {"cel.bind(a, 1, cel.bind(b, a, a + b))",
       "__comprehension__(#unused, [], a, 1, false, a, __comprehension__(#unused, [], b, a, "
       "false, b, (a + b)))"},
      {"cel.block([x + 1, cel.index(0) * 2], cel.index(1) + cel.index(10))",
       "cel.@block([(x + 1), (@index0 * 2)], (@index1 + @index10))"},
      {"[1].map(cel.iterVar(0, 1), cel.iterVar(0, 1) + cel.accuVar(2, 3))",
       "__comprehension__(@it:0:1, [1], @result, [], true, (@result + [(@it:0:1 + @ac:2:3)]), "
       "@result)"},
      {"x.index(0) + cel.index(0, 1) + cel.block(a)",
       "((x.index(0) + cel.index(0, 1)) + cel.block(a))"},
  };
  for (const Printed& c : kCases) EXPECT_EQ(ParseAndPrint(c.source), c.printed) << c.source;
}

TEST(CelParserTest, MacrosCanBeDisabled) {
  const ParseOptions options = Options(200, /*macros=*/false);
  absl::StatusOr<ParsedExpr> parsed = Parse("has(a.b)", options);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const CallExpr* call = parsed->root->As<CallExpr>();
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->function, "has");
  EXPECT_FALSE(call->args[0]->As<SelectExpr>()->test_only);
  EXPECT_EQ(ParseAndPrint("[1].all(x, x > 0)", options), "[1].all(x, (x > 0))");
  EXPECT_EQ(ParseAndPrint("cel.bind(x, 1, x)", options), "cel.bind(x, 1, x)");
  EXPECT_EQ(ParseAndPrint("has(a)", options), "has(a)");
}

TEST(CelParserTest, MacroErrors) {
  EXPECT_EQ(ParseError("has(a)"), "1:5: invalid argument to has() macro");
  EXPECT_EQ(ParseError("has(a[0])"), "1:6: invalid argument to has() macro");
  EXPECT_EQ(ParseError("has(a.b())"), "1:7: invalid argument to has() macro");
  EXPECT_EQ(ParseError("has(has(a.b))"), "1:11: invalid argument to has() macro");
  EXPECT_EQ(ParseError("e.all(1, p)"),
            "1:7: all() macro: variable name must be a simple identifier");
  EXPECT_EQ(ParseError("e.exists(x.y, p)"),
            "1:12: exists() macro: variable name must be a simple identifier");
  EXPECT_EQ(ParseError("e.map(.x, t)"),
            "1:7: map() macro: variable name must be a simple identifier");
  EXPECT_EQ(ParseError("e.filter(f(x), p)"),
            "1:10: filter() macro: variable name must be a simple identifier");
  EXPECT_EQ(ParseError("e.exists_one('x', p)"),
            "1:14: exists_one() macro: variable name must be a simple identifier");
  EXPECT_EQ(ParseError("m.all(k, 1, p)"),
            "1:10: all() macro: variable name must be a simple identifier");
  EXPECT_EQ(ParseError("m.transformMap(k, k, t)"),
            "1:19: transformMap() macro: duplicate variable name 'k'");
  EXPECT_EQ(ParseError("cel.block(x, 1)"),
            "1:11: cel.block() macro: the first argument must be a list");
  EXPECT_EQ(ParseError("cel.index(-1)"),
            "1:11: cel.index() macro: arguments must be non-negative ints");
  EXPECT_EQ(ParseError("cel.iterVar(0, 1u)"),
            "1:16: cel.iterVar() macro: arguments must be non-negative ints");
  EXPECT_EQ(ParseError("cel.accuVar(x, 1)"),
            "1:13: cel.accuVar() macro: arguments must be non-negative ints");
  EXPECT_EQ(ParseError("cel.bind(a.b, 1, 2)"),
            "1:12: cel.bind() macro: variable name must be a simple identifier");
}

// ---------------------------------------------------------------------------------------------
// Ids and positions.

TEST(CelParserTest, IdsAreUniqueAndCountFromOne) {
  for (const char* source : {"a + b * c", "[1, 2].map(x, x * 2)[0]", "{1: 'a'}.exists(k, k > 0)",
                             "cel.bind(x, 1, x)", "has(a.b.c) ? f(x, y) : g.h(z)"}) {
    absl::StatusOr<ParsedExpr> parsed = Parse(source);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    std::vector<const Expr*> nodes;
    Collect(*parsed->root, &nodes);
    std::set<int64_t> ids;
    for (const Expr* node : nodes) {
      EXPECT_GE(node->id, 1) << source;
      EXPECT_TRUE(ids.insert(node->id).second) << source << ": id " << node->id << " repeats";
    }
    EXPECT_EQ(parsed->source, source);
  }
}

TEST(CelParserTest, PositionsAreOffsetsOfTokens) {
  absl::StatusOr<ParsedExpr> parsed = Parse("a.b + f(x)[0] - -1");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Expr& minus = *parsed->root;
  EXPECT_EQ(minus.position, 14);  // the binary '-'
  const Expr& negative = *minus.As<CallExpr>()->args[1];
  EXPECT_EQ(negative.position, 16);  // the sign of -1
  const Expr& plus = *minus.As<CallExpr>()->args[0];
  EXPECT_EQ(plus.position, 4);
  const Expr& select = *plus.As<CallExpr>()->args[0];
  EXPECT_EQ(select.position, 2);  // the field name
  EXPECT_EQ(select.As<SelectExpr>()->operand->position, 0);
  const Expr& index = *plus.As<CallExpr>()->args[1];
  EXPECT_EQ(index.position, 10);  // the '['
  const Expr& call = *index.As<CallExpr>()->args[0];
  EXPECT_EQ(call.position, 6);  // the function name
  EXPECT_EQ(call.As<CallExpr>()->args[0]->position, 8);

  parsed = Parse("{'k': [v]}.all(x, x)");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto* loop = parsed->root->As<ComprehensionExpr>();
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(parsed->root->position, 11);  // the macro's name
  EXPECT_EQ(loop->loop_step->position, 11);
  const auto* map = loop->iter_range->As<MapExpr>();
  EXPECT_EQ(loop->iter_range->position, 0);
  EXPECT_EQ(map->entries[0].position, 4);  // the ':'
  EXPECT_EQ(map->entries[0].value->position, 6);
}

TEST(CelParserTest, FormatPosition) {
  EXPECT_EQ(FormatPosition("abc", 0), "1:1");
  EXPECT_EQ(FormatPosition("abc", 2), "1:3");
  EXPECT_EQ(FormatPosition("ab\ncd", 3), "2:1");
  EXPECT_EQ(FormatPosition("ab\ncd\n\nx", 7), "4:1");
  EXPECT_EQ(FormatPosition("\xC3\xA9\xF0\x9F\x98\x80x", 6), "1:3");  // columns in code points
  EXPECT_EQ(FormatPosition("abc", 99), "1:4");
  EXPECT_EQ(FormatPosition("abc", -5), "1:1");
  EXPECT_EQ(FormatPosition("", 0), "1:1");
}

// ---------------------------------------------------------------------------------------------
// Errors.

struct Failure {
  std::string source;
  std::string message;
};

TEST(CelParserTest, ErrorMessagesAndPositions) {
  const Failure kCases[] = {
      // Strings and escapes.
      {"'abc", "1:1: Syntax error: unterminated string literal"},
      {"x + \"abc", "1:5: Syntax error: unterminated string literal"},
      {"'ab\ncd'", "1:1: Syntax error: unterminated string literal"},
      {"'ab\rcd'", "1:1: Syntax error: unterminated string literal"},
      {"'''abc''", "1:1: Syntax error: unterminated string literal"},
      {"r'abc", "1:1: Syntax error: unterminated string literal"},
      {"'abc\\", "1:1: Syntax error: unterminated string literal"},
      {"x + 'ab\\qc'", "1:8: Syntax error: invalid escape sequence '\\q'"},
      {"'\\400'", "1:2: Syntax error: invalid escape sequence '\\4'"},
      {"'\\08'", "1:2: Syntax error: invalid escape sequence '\\0'"},
      {"'\\x4'", "1:2: Syntax error: invalid escape sequence '\\x'"},
      {"'\\u12G4'", "1:2: Syntax error: invalid escape sequence '\\u'"},
      {"'\\U0001F60'", "1:2: Syntax error: invalid escape sequence '\\U'"},
      {"'\\\t'", "1:2: Syntax error: invalid escape sequence"},
      {"'\\uD800'", "1:2: Syntax error: invalid code point in escape sequence"},
      {"'\\UDFFF'", "1:2: Syntax error: invalid escape sequence '\\U'"},
      {"'\\U0000DFFF'", "1:2: Syntax error: invalid code point in escape sequence"},
      {"'\\U00110000'", "1:2: Syntax error: invalid code point in escape sequence"},
      {"b'\\u0041'", "1:3: Syntax error: unicode escape sequence in bytes literal"},
      {"b'\\U00000041'", "1:3: Syntax error: unicode escape sequence in bytes literal"},
      // Reserved words.
      {"as", "1:1: Syntax error: reserved identifier 'as'"},
      {"a + while", "1:5: Syntax error: reserved identifier 'while'"},
      {"namespace(x)", "1:1: Syntax error: reserved identifier 'namespace'"},
      {".if", "1:2: Syntax error: reserved identifier 'if'"},
      {"a.in", "1:3: Syntax error: unexpected 'in', expected a field name"},
      {"a.true", "1:3: Syntax error: unexpected 'true', expected a field name"},
      {"null.x(in)", "1:8: Syntax error: unexpected 'in'"},
      // Unbalanced brackets and misplaced tokens.
      {"", "1:1: Syntax error: unexpected end of input"},
      {"   // only a comment", "1:21: Syntax error: unexpected end of input"},
      {")", "1:1: Syntax error: unexpected ')'"},
      {"(1 + 2", "1:7: Syntax error: unexpected end of input, expected ')'"},
      {"(1))", "1:4: Syntax error: unexpected ')', expected end of input"},
      {"f(1, 2", "1:7: Syntax error: unexpected end of input, expected ',' or ')'"},
      {"f(1 2)", "1:5: Syntax error: unexpected '2', expected ',' or ')'"},
      {"f(a,)", "1:5: Syntax error: unexpected ')'"},
      {"[1, 2", "1:6: Syntax error: unexpected end of input, expected ',' or ']'"},
      {"[,]", "1:2: Syntax error: unexpected ','"},
      {"[1,,]", "1:4: Syntax error: unexpected ','"},
      {"a[1", "1:4: Syntax error: unexpected end of input, expected ']'"},
      {"a[]", "1:3: Syntax error: unexpected ']'"},
      {"{1: 2", "1:6: Syntax error: unexpected end of input, expected ',' or '}'"},
      {"{1 2}", "1:4: Syntax error: unexpected '2', expected ':'"},
      {"{1: 2 3}", "1:7: Syntax error: unexpected '3', expected ',' or '}'"},
      {"a ? b", "1:6: Syntax error: unexpected end of input, expected ':'"},
      {"a ? b ? c : d : e", "1:7: Syntax error: unexpected '?', expected ':'"},
      {"a +", "1:4: Syntax error: unexpected end of input"},
      {"a + * b", "1:5: Syntax error: unexpected '*'"},
      {"!-a", "1:2: Syntax error: unexpected '-'"},
      {"-!a", "1:2: Syntax error: unexpected '!'"},
      {"a.", "1:3: Syntax error: unexpected end of input, expected a field name"},
      {"a.'b'", "1:3: Syntax error: unexpected string literal, expected a field name"},
      {". a.b(", "1:7: Syntax error: unexpected end of input"},
      {"(a)(b)", "1:4: Syntax error: unexpected '(', expected end of input"},
      {"a.`b`()", "1:6: Syntax error: unexpected '(', expected end of input"},
      {"a.``", "1:3: Syntax error: invalid escaped identifier"},
      {"a.`b", "1:3: Syntax error: invalid escaped identifier"},
      {"a.`b!`", "1:3: Syntax error: invalid escaped identifier"},
      {"`a`", "1:1: Syntax error: unexpected '`a`'"},
      {"a b", "1:3: Syntax error: unexpected 'b', expected end of input"},
      {"1 2", "1:3: Syntax error: unexpected '2', expected end of input"},
      {"0x", "1:2: Syntax error: unexpected 'x', expected end of input"},
      {"1e", "1:2: Syntax error: unexpected 'e', expected end of input"},
      {"1.", "1:3: Syntax error: unexpected end of input, expected a field name"},
      {"1uu", "1:3: Syntax error: unexpected 'u', expected end of input"},
      {"'a' 'b'", "1:5: Syntax error: unexpected string literal, expected end of input"},
      {"a +\n  )", "2:3: Syntax error: unexpected ')'"},
      {"'\xC3\xA9' + )", "1:7: Syntax error: unexpected ')'"},
      // Characters that are no token.
      {"a # b", "1:3: Syntax error: unexpected character '#'"},
      {"a = b", "1:3: Syntax error: unexpected character '='"},
      {"a & b", "1:3: Syntax error: unexpected character '&'"},
      {"a | b", "1:3: Syntax error: unexpected character '|'"},
      {"a\vb", "1:2: Syntax error: unexpected character U+000B"},
      {std::string("a\0", 2), "1:2: Syntax error: unexpected character U+0000"},
      {"\xC3\xA9t\xC3\xA9", "1:1: Syntax error: unexpected character U+00E9"},
      // Invalid UTF-8, anywhere.
      {"'a\xFF'", "1:3: Syntax error: invalid UTF-8"},
      {"a + b // \xC3", "1:10: Syntax error: invalid UTF-8"},
      {"'\xC0\x80'", "1:2: Syntax error: invalid UTF-8"},          // overlong
      {"'\xED\xA0\x80'", "1:2: Syntax error: invalid UTF-8"},      // surrogate
      {"'\xF4\x90\x80\x80'", "1:2: Syntax error: invalid UTF-8"},  // past U+10FFFF
      {"'\x80'", "1:2: Syntax error: invalid UTF-8"},
      // Numbers out of range.
      {"9223372036854775808", "1:1: Syntax error: int literal out of range"},
      {"-9223372036854775809", "1:2: Syntax error: int literal out of range"},
      {"0x8000000000000000", "1:1: Syntax error: int literal out of range"},
      {"-(9223372036854775808)", "1:3: Syntax error: int literal out of range"},
      {"18446744073709551616", "1:1: Syntax error: int literal out of range"},
      {"18446744073709551616u", "1:1: Syntax error: uint literal out of range"},
      {"0x10000000000000000u", "1:1: Syntax error: uint literal out of range"},
      {"1e309", "1:1: Syntax error: double literal out of range"},
      {"-1.8e308", "1:2: Syntax error: double literal out of range"},
      // What is not supported.
      {"Msg{a: 1}", "1:4: Syntax error: message construction is not supported"},
      {"a.b.C{}", "1:6: Syntax error: message construction is not supported"},
      {".a.B{}", "1:5: Syntax error: message construction is not supported"},
      {"x.?y", "1:3: Syntax error: optional field selection ('.?') is not supported"},
      {"m[?k]", "1:3: Syntax error: optional indexing ('[?') is not supported"},
      {"[1, ?a]", "1:5: Syntax error: optional list elements ('[?') are not supported"},
      {"{?a: 1}", "1:2: Syntax error: optional map entries ('{?') are not supported"},
      {"f(x){}", "1:5: Syntax error: unexpected '{', expected end of input"},
  };
  for (const Failure& c : kCases) EXPECT_EQ(ParseError(c.source), c.message) << c.source;
}

TEST(CelParserTest, FirstErrorWins) {
  // A syntax error before a lexical one is reported, and vice versa.
  EXPECT_EQ(ParseError("a b 'unterminated"),
            "1:3: Syntax error: unexpected 'b', expected end of input");
  EXPECT_EQ(ParseError("'\\q' +"), "1:2: Syntax error: invalid escape sequence '\\q'");
}

// ---------------------------------------------------------------------------------------------
// Nesting limits: deep input fails cleanly and quickly, never by overflowing the stack.

TEST(CelParserTest, DeepNestingFailsCleanlyAndFast) {
  const std::string kDeep[] = {
      Repeat("(", 10000) + "1" + Repeat(")", 10000),
      Repeat("(", 100000),
      Repeat("-", 100000) + "a",
      Repeat("!", 100000) + "a",
      Repeat("-", 100000) + "1",
      Repeat("[", 100000),
      Repeat("{", 100000),
      Repeat("{1:", 100000),
      Repeat("f(", 100000),
      Repeat("a.f(", 100000),
      Repeat("a[", 100000),
      Repeat("a ? b : ", 100000) + "c",
      Repeat("-(", 100000),
      Repeat("[x.all(y, ", 100000),
      "a" + Repeat(".b", 100000),
      "a" + Repeat("[0]", 100000),
      "a" + Repeat(".f()", 100000),
      "a" + Repeat(" + a", 100000),
      "a" + Repeat(" * a", 100000),
      "a" + Repeat(" == a", 100000),
      "a" + Repeat(" in a", 100000),
  };
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& source : kDeep) {
    EXPECT_THAT(ParseError(source),
                HasSubstr("Syntax error: expression nested too deeply (limit 200)"))
        << source.substr(0, 20);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CelParserTest, NestingLimitIsExact) {
  const ParseOptions limit5 = Options(5);
  EXPECT_EQ(ParseAndPrint("a.b.c.d.e", limit5), "a.b.c.d.e");  // a tree of height 5
  EXPECT_EQ(ParseError("a.b.c.d.e.f", limit5),
            "1:11: Syntax error: expression nested too deeply (limit 5)");
  EXPECT_EQ(ParseAndPrint("((((a))))", limit5), "a");  // five levels of Expr
  EXPECT_EQ(ParseError("(((((a)))))", limit5),
            "1:6: Syntax error: expression nested too deeply (limit 5)");
  EXPECT_EQ(ParseAndPrint("----a", limit5), "(-(-(-(-a))))");
  EXPECT_EQ(ParseError("-----a", limit5),
            "1:1: Syntax error: expression nested too deeply (limit 5)");
  // Macro expansions count: all() adds two levels above its predicate.
  EXPECT_TRUE(Parse("l.all(x, a.b.c)", limit5).ok());
  EXPECT_FALSE(Parse("l.all(x, a.b.c.d)", limit5).ok());
  for (const char* source : {"a.b.c.d.e", "((((a))))", "----a", "l.all(x, a.b.c)"}) {
    absl::StatusOr<ParsedExpr> parsed = Parse(source, limit5);
    ASSERT_TRUE(parsed.ok());
    EXPECT_LE(Height(*parsed->root), 5) << source;
  }
  EXPECT_FALSE(Parse("a", Options(0)).ok());
}

TEST(CelParserTest, LongFlatInputsParseInLinearTime) {
  const auto start = std::chrono::steady_clock::now();
  const std::string list = "[" + Repeat("1, ", 200000) + "]";
  absl::StatusOr<ParsedExpr> parsed = Parse(list);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->root->As<ListExpr>()->elements.size(), 200000u);
  const std::string text(1 << 20, 'x');
  parsed = Parse("'" + text + "' + " + text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(std::get<std::string>(parsed->root->As<CallExpr>()->args[0]->As<ConstExpr>()->value),
            text);
  parsed = Parse(Repeat("// comment\n", 100000) + "a" + Repeat(" && a", 100000));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Random token soup: whatever happens, it must be a clean success or a clean error, and a
// success must be a well-formed tree within the nesting limit.
TEST(CelParserTest, RandomInputNeverCrashes) {
  const std::vector<std::string> kPieces = {"a",        "b.c",  "1",
                                            "2u",       "3.5",  "'s'",
                                            "b'x'",     "(",    ")",
                                            "[",        "]",    "{",
                                            "}",        ",",    ":",
                                            "?",        ".",    "+",
                                            "-",        "*",    "/",
                                            "%",        "!",    "==",
                                            "<",        "in",   "&&",
                                            "||",       "f(",   ".all(x, ",
                                            ".map(y, ", "has(", "cel.bind(z, ",
                                            "\"",       "\\",   "`",
                                            "\n",       " ",    "//",
                                            "\xC3",     "0x",   "e",
                                            "r'",       "'''",  ".?",
                                            "[?",       "null", "true",
                                            "as"};
  std::mt19937 random(12345);
  const ParseOptions options = Options(12);
  int successes = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string source;
    const int length = std::uniform_int_distribution<int>(0, 40)(random);
    for (int j = 0; j < length; ++j) {
      source += kPieces[std::uniform_int_distribution<size_t>(0, kPieces.size() - 1)(random)];
    }
    absl::StatusOr<ParsedExpr> parsed = Parse(source, options);
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << source;
      EXPECT_THAT(std::string(parsed.status().message()), MatchesRegex("[0-9]+:[0-9]+: .+"))
          << source;
      continue;
    }
    ++successes;
    std::vector<const Expr*> nodes;
    Collect(*parsed->root, &nodes);
    std::set<int64_t> ids;
    for (const Expr* node : nodes) EXPECT_TRUE(ids.insert(node->id).second) << source;
    EXPECT_LE(Height(*parsed->root), 12) << source;
  }
  EXPECT_GT(successes, 100);
}

// ---------------------------------------------------------------------------------------------
// cel-spec's conformance tests: every usable expression parses.

std::filesystem::path ConformanceDir() {
  return std::filesystem::path(RUNLEDGER_SHARED_DIR) / "conformance" / "cel";
}

struct ConformanceExpr {
  std::string name;  // file/ordinal
  std::string expr;
  bool disable_macros = false;
};

// The usable tests of `file` (needs_proto false, no skip).
std::vector<ConformanceExpr> UsableExprs(const std::string& file) {
  std::ifstream in(ConformanceDir() / (file + ".jsonl"));
  EXPECT_TRUE(in.good()) << file;
  std::vector<ConformanceExpr> exprs;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const nlohmann::json test = nlohmann::json::parse(line);
    if (test.at("needs_proto").get<bool>() || test.at("expected").contains("skip")) continue;
    exprs.push_back({absl::StrCat(file, "/", test.at("ordinal").get<int>()),
                     test.at("expr").get<std::string>(), test.value("disable_macros", false)});
  }
  return exprs;
}

absl::StatusOr<ParsedExpr> ParseConformance(const ConformanceExpr& test) {
  return Parse(test.expr, Options(200, /*macros=*/!test.disable_macros));
}

TEST(CelParserConformanceTest, CoreExpressionsParse) {
  if (!std::filesystem::exists(ConformanceDir())) {
    GTEST_SKIP() << "no conformance data at " << ConformanceDir();
  }
  int parsed_count = 0;
  for (const char* file :
       {"plumbing", "basic", "comparisons", "logic", "string", "timestamps", "lists", "fields",
        "macros", "parse", "conversions", "integer_math", "fp_math", "namespace"}) {
    for (const ConformanceExpr& test : UsableExprs(file)) {
      absl::StatusOr<ParsedExpr> parsed = ParseConformance(test);
      EXPECT_TRUE(parsed.ok()) << test.name << ": " << test.expr << "\n" << parsed.status();
      parsed_count += parsed.ok();
    }
  }
  EXPECT_GT(parsed_count, 800);
}

// The extension files parse too, except for the optional syntax that is not supported.
TEST(CelParserConformanceTest, ExtensionExpressionsParse) {
  if (!std::filesystem::exists(ConformanceDir())) {
    GTEST_SKIP() << "no conformance data at " << ConformanceDir();
  }
  int parsed_count = 0;
  int unsupported = 0;
  for (const char* file : {"macros2", "bindings_ext", "string_ext", "math_ext", "encoders_ext",
                           "network_ext", "optionals", "block_ext"}) {
    const bool uses_optionals =
        std::string(file) == "optionals" || std::string(file) == "block_ext";
    for (const ConformanceExpr& test : UsableExprs(file)) {
      absl::StatusOr<ParsedExpr> parsed = ParseConformance(test);
      if (!parsed.ok() && uses_optionals &&
          absl::StrContains(parsed.status().message(), "not supported")) {
        ++unsupported;
        continue;
      }
      EXPECT_TRUE(parsed.ok()) << test.name << ": " << test.expr << "\n" << parsed.status();
      parsed_count += parsed.ok();
    }
  }
  EXPECT_GT(parsed_count, 450);
  EXPECT_LT(unsupported, 50);
}

}  // namespace
}  // namespace runledger::cel
