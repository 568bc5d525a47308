// Tests of the CEL evaluator (evaluator.h) on expressions and data written here: arithmetic
// and its errors, error absorption, cross-type comparison, strings, lists, maps,
// comprehensions, timestamps and durations with time zones, conversions and type values, the
// JSON-string-as-timestamp rule, lazy path folding (through a fake LazyValue that counts its
// calls), compile errors with positions, require_bool, constants, containers, concurrency and
// the allocation-free hot path.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/query/cel/evaluator.h"
#include "src/query/cel/parser.h"
#include "src/query/cel/types.h"
#include "src/query/json_value.h"

// Counts heap allocations made by the current thread (for the allocation-free hot path test).
namespace {
thread_local int64_t allocations = 0;
}  // namespace

void* operator new(size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace runledger::cel {
namespace {

using K = ValueKind;
using Bindings = std::vector<std::pair<std::string, Value>>;

Value Str(std::string_view s) { return Value::StringView(s); }

// Compiles `expr` with `vars` as dyn variables (unknown names are compile errors) and evaluates
// it; a parse or compile error comes back as an error value with its message.
Value Eval(std::string_view expr, const Bindings& vars = {}) {
  auto parsed = Parse(expr);
  if (!parsed.ok()) return Value::Error(std::string(parsed.status().message()));
  Environment env;
  std::vector<Value> values;
  for (const auto& [name, value] : vars) {
    EXPECT_TRUE(env.AddVariable(name, Type::Dyn()).ok());
    values.push_back(value);
  }
  auto program = Program::Compile(*parsed, env, /*require_bool=*/false);
  if (!program.ok()) return Value::Error(std::string(program.status().message()));
  return program->Evaluate(values).Detached();
}

std::string Show(std::string_view expr, const Bindings& vars = {}) {
  return Eval(expr, vars).DebugString();
}

// The error message of `expr`'s result, or "(not an error: ...)".
std::string ErrorOf(std::string_view expr, const Bindings& vars = {}) {
  Value v = Eval(expr, vars);
  return v.is_error() ? std::string(v.text()) : "(not an error: " + v.DebugString() + ")";
}

#define EXPECT_TRUE_EXPR(expr, ...) EXPECT_EQ(Show(expr, ##__VA_ARGS__), "true") << (expr)
#define EXPECT_ERROR(expr, substring, ...)                                \
  EXPECT_TRUE(absl::StrContains(ErrorOf(expr, ##__VA_ARGS__), substring)) \
      << (expr) << " -> " << ErrorOf(expr, ##__VA_ARGS__)

// --- Arithmetic. ---

TEST(CelEvaluator, IntegerArithmetic) {
  EXPECT_EQ(Show("40 + 2"), "42");
  EXPECT_EQ(Show("-7 / 2"), "-3");
  EXPECT_EQ(Show("-7 % 3"), "-1");
  EXPECT_EQ(Show("7u / 2u"), "3u");
  EXPECT_EQ(Show("-(3)"), "-3");
}

TEST(CelEvaluator, IntegerOverflowIsAnError) {
  EXPECT_ERROR("9223372036854775807 + 1", "overflow");
  EXPECT_ERROR("-9223372036854775808 - 1", "overflow");
  EXPECT_ERROR("5000000000 * 5000000000", "overflow");
  EXPECT_ERROR("-(-9223372036854775808)", "overflow");
  EXPECT_ERROR("-9223372036854775808 / -1", "overflow");
  EXPECT_ERROR("-9223372036854775808 % -1", "overflow");
  EXPECT_ERROR("18446744073709551615u + 1u", "overflow");
  EXPECT_ERROR("0u - 1u", "overflow");
  EXPECT_ERROR("5000000000u * 5000000000u", "overflow");
}

TEST(CelEvaluator, DivisionByZeroIsAnError) {
  EXPECT_ERROR("1 / 0", "division by zero");
  EXPECT_ERROR("1 % 0", "modulus by zero");
  EXPECT_ERROR("1u / 0u", "division by zero");
  EXPECT_ERROR("1u % 0u", "modulus by zero");
  EXPECT_EQ(Show("1.0 / 0.0"), "inf");
}

TEST(CelEvaluator, NoImplicitNumericConversionInArithmetic) {
  EXPECT_ERROR("1 + 1u", "no such overload");
  EXPECT_ERROR("dyn(1) + 1.0", "no such overload");
  EXPECT_ERROR("2.5 % 1.0", "no such overload");
  EXPECT_ERROR("-(1u)", "no such overload");
  EXPECT_ERROR("'a' - 'b'", "no such overload");
}

TEST(CelEvaluator, DoubleArithmetic) {
  EXPECT_EQ(Show("0.5 + 0.25"), "0.75");
  EXPECT_EQ(Show("2.0 * -8.988466e+307"), "-inf");
  EXPECT_TRUE_EXPR("0.0/0.0 != 0.0/0.0");
}

// --- Logic. ---

TEST(CelEvaluator, AndOrAbsorbErrorsCommutatively) {
  EXPECT_EQ(Show("false && 1/0 == 1"), "false");
  EXPECT_EQ(Show("1/0 == 1 && false"), "false");
  EXPECT_EQ(Show("true || 1/0 == 1"), "true");
  EXPECT_EQ(Show("1/0 == 1 || true"), "true");
  EXPECT_ERROR("1/0 == 1 && true", "division by zero");
  EXPECT_ERROR("false || 1/0 == 1", "division by zero");
  EXPECT_EQ(Show("'x' && false"), "false");
  EXPECT_ERROR("'x' && true", "no such overload");
  EXPECT_EQ(Show("!false"), "true");
  EXPECT_ERROR("!1", "no such overload");
}

TEST(CelEvaluator, Conditional) {
  EXPECT_EQ(Show("1 < 2 ? 'yes' : 1/0"), "\"yes\"");
  EXPECT_ERROR("1/0 > 0 ? 1 : 2", "division by zero");
  EXPECT_ERROR("'c' ? 1 : 2", "no such overload");
}

// --- Comparison and equality. ---

TEST(CelEvaluator, CrossTypeNumericComparison) {
  EXPECT_TRUE_EXPR("1 == 1.0");
  EXPECT_TRUE_EXPR("dyn(1) == 1u");
  EXPECT_TRUE_EXPR("1u == 1.0");
  EXPECT_TRUE_EXPR("2 < 2.5");
  EXPECT_TRUE_EXPR("3u > 2");
  EXPECT_TRUE_EXPR("-1 < 0u");
  EXPECT_TRUE_EXPR("dyn(18446744073709551615u) > 9223372036854775807");
  EXPECT_EQ(Show("0.0/0.0 < 1"), "false");
  EXPECT_EQ(Show("0.0/0.0 >= 1"), "false");
  EXPECT_EQ(Show("1 == 0.0/0.0"), "false");
}

TEST(CelEvaluator, HeterogeneousEquality) {
  EXPECT_EQ(Show("'1' == 1"), "false");
  EXPECT_EQ(Show("null == false"), "false");
  EXPECT_EQ(Show("[1, 'a'] != ['a', 1]"), "true");
  EXPECT_TRUE_EXPR("[1, [2.0]] == [1u, [2]]");
  EXPECT_TRUE_EXPR("{'a': 1, 2: [3]} == {2: [3.0], 'a': 1u}");
  EXPECT_EQ(Show("{'a': 1} == {'a': 1, 'b': 2}"), "false");
  EXPECT_TRUE_EXPR("type(1) == int && type('') != int");
  EXPECT_ERROR("1 < 'a'", "no such overload");
  EXPECT_ERROR("null < null", "no such overload");
  EXPECT_ERROR("[1] < [2]", "no such overload");
}

TEST(CelEvaluator, InListsAndMaps) {
  EXPECT_TRUE_EXPR("2 in [1, 2, 3]");
  EXPECT_TRUE_EXPR("2.0 in [1, 2, 3]");
  EXPECT_EQ(Show("'a' in [1, 2]"), "false");
  EXPECT_TRUE_EXPR("1u in {1: 'one'}");
  EXPECT_EQ(Show("'x' in {'y': 1}"), "false");
  EXPECT_ERROR("1 in 1", "no such overload");
}

// --- Strings and bytes. ---

TEST(CelEvaluator, Strings) {
  EXPECT_EQ(Show("'ab' + 'cd'"), "\"abcd\"");
  EXPECT_EQ(Show("size('πέντε')"), "5");
  EXPECT_EQ(Show("'πέντε'.size()"), "5");
  EXPECT_TRUE_EXPR("'a' < 'b' && 'a' < 'α' && 'abc' > 'ab'");
  EXPECT_TRUE_EXPR("'hello'.contains('ell') && 'hello'.startsWith('he') && 'hello'.endsWith('lo')");
  EXPECT_EQ(Show("'hello'.startsWith('lo')"), "false");
  EXPECT_TRUE_EXPR("'banana'.matches('^ba(na)+$')");
  EXPECT_TRUE_EXPR("matches('banana', 'an')");
  EXPECT_TRUE_EXPR("'mañana'.matches('a+ñ+a+')");
  EXPECT_ERROR("'x'.matches('(')", "invalid regular expression");
  EXPECT_ERROR("'x'.matches(dyn('('))", "invalid regular expression");
  EXPECT_ERROR("size(1)", "no such overload");
}

TEST(CelEvaluator, Bytes) {
  EXPECT_EQ(Show("b'ab' + b'\\x00'"), "b\"ab\\x00\"");
  EXPECT_EQ(Show("size(b'\\xff\\x00')"), "2");
  EXPECT_TRUE_EXPR("b'a' < b'b'");
  EXPECT_EQ(Show("b'a' == 'a'"), "false");
}

// --- Lists and maps. ---

TEST(CelEvaluator, Lists) {
  EXPECT_EQ(Show("[1, 2] + [3]"), "[1, 2, 3]");
  EXPECT_EQ(Show("[7, 8, 9][1]"), "8");
  EXPECT_EQ(Show("[7, 8, 9][dyn(2u)]"), "9");
  EXPECT_EQ(Show("[7, 8, 9][dyn(0.0)]"), "7");
  EXPECT_ERROR("[7, 8, 9][dyn(0.5)]", "invalid list index");
  EXPECT_ERROR("[7, 8, 9][3]", "index out of range");
  EXPECT_ERROR("[7, 8, 9][-1]", "index out of range");
  EXPECT_ERROR("[7][dyn('0')]", "invalid list index");
  EXPECT_EQ(Show("size([1, [2, 3]])"), "2");
}

TEST(CelEvaluator, Maps) {
  EXPECT_EQ(Show("{'a': 1}['a']"), "1");
  EXPECT_EQ(Show("{'a': 1}.a"), "1");
  EXPECT_EQ(Show("{1: 'x'}[1u]"), "\"x\"");
  EXPECT_EQ(Show("{1u: 'x'}[1.0]"), "\"x\"");
  EXPECT_ERROR("{'a': 1}.b", "no such key");
  EXPECT_ERROR("{'a': 1}['b']", "no such key");
  EXPECT_ERROR("{1: 1, 1u: 2}", "repeated key");
  EXPECT_ERROR("{1.5: 1}", "unsupported map key");
  EXPECT_EQ(Show("size({'a': 1, 'b': 2})"), "2");
  EXPECT_ERROR("1.a", "does not support field selection");
}

TEST(CelEvaluator, Has) {
  Bindings m = {{"m", Value::Map({{Str("a"), Value::Map({{Str("b"), Value::Int(1)}})}})}};
  EXPECT_EQ(Show("has(m.a)", m), "true");
  EXPECT_EQ(Show("has(m.z)", m), "false");
  EXPECT_EQ(Show("has(m.a.b)", m), "true");
  EXPECT_EQ(Show("has(m.a.c)", m), "false");
  EXPECT_ERROR("has(m.z.c)", "no such key", m);
  EXPECT_ERROR("has(m.a.b.c)", "no such overload", m);
}

// --- Comprehensions. ---

TEST(CelEvaluator, Macros) {
  EXPECT_EQ(Show("[1, 2, 3].all(x, x > 0)"), "true");
  EXPECT_EQ(Show("[1, 2, 3].exists(x, x == 2)"), "true");
  EXPECT_EQ(Show("[1, 2, 3].exists_one(x, x > 1)"), "false");
  EXPECT_EQ(Show("[1, 2, 3].map(x, x * 2)"), "[2, 4, 6]");
  EXPECT_EQ(Show("[1, 2, 3].map(x, x > 1, x * 10)"), "[20, 30]");
  EXPECT_EQ(Show("[1, 2, 3, 4].filter(x, x % 2 == 0)"), "[2, 4]");
  EXPECT_EQ(Show("{'a': 1, 'b': 2}.map(k, k)"), "[\"a\", \"b\"]");
  EXPECT_EQ(Show("[[1], [2]].map(l, l + [0])"), "[[1, 0], [2, 0]]");
}

TEST(CelEvaluator, MacrosAbsorbErrorsLikeLogic) {
  EXPECT_EQ(Show("[0, 1].exists(x, 1 / x == 1)"), "true");  // the error is absorbed
  EXPECT_EQ(Show("[0, 1].all(x, 1 / x == 5)"), "false");
  EXPECT_ERROR("[0, 1].all(x, 1 / x == 1)", "division by zero");
  EXPECT_ERROR("[0].map(x, 1 / x)", "division by zero");
  EXPECT_ERROR("1.all(x, true)", "cannot iterate");
}

TEST(CelEvaluator, ComprehensionVariablesShadow) {
  Bindings x = {{"x", Value::Int(100)}};
  EXPECT_EQ(Show("[1, 2].map(x, x + 1)", x), "[2, 3]");
  EXPECT_EQ(Show("[1].exists(x, [0].exists(x, x == 0))", x), "true");
  EXPECT_EQ(Show("x + [1].map(y, y)[0]", x), "101");
}

TEST(CelEvaluator, RunawayComprehensionsStopWithAnError) {
  // 2^30 iterations if unchecked.
  std::string expr = "[0]";
  for (int i = 0; i < 30; ++i) expr = "[0, 0].map(a" + std::to_string(i) + ", " + expr + ")";
  auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR(expr, "iteration limit");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(CelEvaluator, ValuesSharingSubListsCannotGrowWithoutBound) {
  // a0 = [1, 1], a_i = [a_(i-1), a_(i-1)]: the tree stays small while its expansion doubles
  // at each level (2^30 leaves for the comparison if unchecked).
  constexpr int kLevels = 30;
  std::string expr = absl::StrCat("a", kLevels - 1, " == a", kLevels - 1);
  for (int i = kLevels - 1; i >= 0; --i) {
    std::string init = i == 0 ? "[1, 1]" : absl::StrCat("[a", i - 1, ", a", i - 1, "]");
    expr = absl::StrCat("cel.bind(a", i, ", ", init, ", ", expr, ")");
  }
  auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR(expr, "value too large");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// --- Timestamps and durations. ---

TEST(CelEvaluator, TimestampsAndDurations) {
  EXPECT_EQ(Show("timestamp('2009-02-13T23:31:30Z') + duration('1h2m3.5s')"),
            "timestamp(\"2009-02-14T00:33:33.5+00:00\")");
  EXPECT_EQ(Show("string(timestamp('2009-02-13T23:31:30Z') - timestamp('2009-02-13T23:00:00Z'))"),
            "\"1890s\"");
  EXPECT_EQ(Show("string(timestamp('2009-02-13T23:31:30.120Z'))"), "\"2009-02-13T23:31:30.12Z\"");
  EXPECT_EQ(Show("string(duration('-1.5h'))"), "\"-5400s\"");
  EXPECT_EQ(Show("string(duration('300ms') + duration('1us') + duration('1ns'))"),
            "\"0.300001001s\"");
  EXPECT_EQ(Show("string(-duration('1s'))"), "\"-1s\"");
  EXPECT_TRUE_EXPR("duration('1µs') == duration('1000ns')");
  EXPECT_TRUE_EXPR("timestamp('2009-02-13T23:31:30Z') < timestamp('2009-02-13T23:31:31Z')");
  EXPECT_TRUE_EXPR("duration('1m') > duration('59s')");
  EXPECT_EQ(Show("int(timestamp('2009-02-13T23:31:30Z'))"), "1234567890");
  EXPECT_EQ(Show("string(timestamp(1234567890))"), "\"2009-02-13T23:31:30Z\"");
  EXPECT_EQ(Show("type(duration('1s'))"), "google.protobuf.Duration");
}

TEST(CelEvaluator, TimeRangesAreErrors) {
  EXPECT_ERROR("timestamp('0000-01-01T00:00:00Z')", "out of range");
  EXPECT_ERROR("timestamp(253402300800)", "out of range");
  EXPECT_ERROR("timestamp('9999-12-31T23:59:59.999999999Z') + duration('1ns')", "out of range");
  EXPECT_ERROR("timestamp('0001-01-01T00:00:00Z') - duration('1ns')", "out of range");
  EXPECT_ERROR("timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')",
               "out of range");
  EXPECT_ERROR("duration('200000000000s')", "out of range");
  EXPECT_ERROR("duration('5000000h') + duration('5000000h')", "out of range");
  EXPECT_ERROR("duration('1x')", "invalid duration");
  EXPECT_ERROR("timestamp('yesterday')", "invalid timestamp");
}

TEST(CelEvaluator, TimestampAccessors) {
  const std::string ts = "timestamp('2009-02-13T23:31:30.123Z')";
  EXPECT_EQ(Show(ts + ".getFullYear()"), "2009");
  EXPECT_EQ(Show(ts + ".getMonth()"), "1");
  EXPECT_EQ(Show(ts + ".getDate()"), "13");
  EXPECT_EQ(Show(ts + ".getDayOfMonth()"), "12");
  EXPECT_EQ(Show(ts + ".getDayOfWeek()"), "5");  // Friday
  EXPECT_EQ(Show(ts + ".getDayOfYear()"), "43");
  EXPECT_EQ(Show(ts + ".getHours()"), "23");
  EXPECT_EQ(Show(ts + ".getMinutes()"), "31");
  EXPECT_EQ(Show(ts + ".getSeconds()"), "30");
  EXPECT_EQ(Show(ts + ".getMilliseconds()"), "123");
}

TEST(CelEvaluator, TimestampAccessorsInTimeZones) {
  const std::string ts = "timestamp('2009-02-13T23:31:30Z')";
  EXPECT_EQ(Show(ts + ".getHours('America/Los_Angeles')"), "15");
  EXPECT_EQ(Show(ts + ".getDate('Asia/Tokyo')"), "14");
  EXPECT_EQ(Show(ts + ".getDayOfWeek('Asia/Tokyo')"), "6");
  EXPECT_EQ(Show(ts + ".getHours('+05:30')"), "5");
  EXPECT_EQ(Show(ts + ".getMinutes('+05:30')"), "1");
  EXPECT_EQ(Show(ts + ".getFullYear('-08:00')"), "2009");
  EXPECT_EQ(Show("timestamp('2010-01-01T05:00:00Z').getFullYear('-08:00')"), "2009");
  EXPECT_EQ(Show("timestamp('2010-01-01T05:00:00Z').getDayOfYear('-08:00')"), "364");
  EXPECT_ERROR(ts + ".getHours('Mars/Base')", "unknown time zone");
}

TEST(CelEvaluator, DurationAccessors) {
  EXPECT_EQ(Show("duration('3h25m10.5s').getHours()"), "3");
  EXPECT_EQ(Show("duration('3h25m10.5s').getMinutes()"), "205");
  EXPECT_EQ(Show("duration('3h25m10.5s').getSeconds()"), "12310");
  EXPECT_EQ(Show("duration('1.5s').getMilliseconds()"), "1500");
  EXPECT_EQ(Show("duration('-90m').getHours()"), "-1");
}

// --- Conversions and types. ---

TEST(CelEvaluator, Conversions) {
  EXPECT_EQ(Show("int('-42')"), "-42");
  EXPECT_EQ(Show("int(2.9)"), "2");
  EXPECT_EQ(Show("int(-2.9)"), "-2");
  EXPECT_EQ(Show("int(9223372036854775807u)"), "9223372036854775807");
  EXPECT_ERROR("int(9223372036854775808u)", "out of range");
  EXPECT_ERROR("int(1e19)", "out of range");
  EXPECT_ERROR("int('1.5')", "cannot convert");
  EXPECT_ERROR("int(' 1')", "cannot convert");
  EXPECT_EQ(Show("uint(42)"), "42u");
  EXPECT_ERROR("uint(-1)", "out of range");
  EXPECT_ERROR("uint(-0.5)", "out of range");
  EXPECT_ERROR("uint(1.8446744073709552e19)", "out of range");
  EXPECT_EQ(Show("double('1e3')"), "1000");
  EXPECT_EQ(Show("double(3u)"), "3");
  EXPECT_ERROR("double('x')", "cannot convert");
  EXPECT_EQ(Show("string(1.5)"), "\"1.5\"");
  EXPECT_EQ(Show("string(-4.5e-3)"), "\"-0.0045\"");
  EXPECT_EQ(Show("string(1e21)"), "\"1e+21\"");
  EXPECT_EQ(Show("string(18446744073709551615u)"), "\"18446744073709551615\"");
  EXPECT_EQ(Show("string(b'\\xc3\\xbf')"), "\"\\xc3\\xbf\"");
  EXPECT_ERROR("string(b'\\xff')", "invalid UTF-8");
  EXPECT_EQ(Show("string(true)"), "\"true\"");
  EXPECT_EQ(Show("bytes('ÿ')"), "b\"\\xc3\\xbf\"");
  for (const char* t : {"'1'", "'t'", "'T'", "'true'", "'TRUE'", "'True'"}) {
    EXPECT_EQ(Show(std::string("bool(") + t + ")"), "true") << t;
  }
  for (const char* f : {"'0'", "'f'", "'F'", "'false'", "'FALSE'", "'False'"}) {
    EXPECT_EQ(Show(std::string("bool(") + f + ")"), "false") << f;
  }
  EXPECT_ERROR("bool('TrUe')", "cannot convert");
}

TEST(CelEvaluator, TypeValues) {
  EXPECT_EQ(Show("type(1)"), "int");
  EXPECT_EQ(Show("type(type(1))"), "type");
  EXPECT_EQ(Show("type(null)"), "null_type");
  EXPECT_EQ(Show("type([]) == list && type({}) == map"), "true");
  EXPECT_EQ(Show("type(timestamp(0)) == google.protobuf.Timestamp"), "true");
  EXPECT_EQ(Show("[int, uint, double, bool, string, bytes, null_type, type]"),
            "[int, uint, double, bool, string, bytes, null_type, type]");
  EXPECT_EQ(Show("dyn(1) + 2"), "3");
  EXPECT_ERROR("dyn", "undeclared reference");
}

// --- Extensions. ---

TEST(CelExtensions, Strings) {
  EXPECT_EQ(Show("'ta©o'.charAt(2)"), "\"\\xc2\\xa9\"");
  EXPECT_EQ(Show("'taco'.charAt(4)"), "\"\"");
  EXPECT_ERROR("'taco'.charAt(5)", "index out of range: 5");
  EXPECT_EQ(Show("'ta©o©αT'.indexOf('©', 3)"), "4");
  EXPECT_EQ(Show("'tacocat'.indexOf('none')"), "-1");
  EXPECT_EQ(Show("'ta©o©αT'.lastIndexOf('©')"), "4");
  EXPECT_EQ(Show("'bananananana'.lastIndexOf('nana', 7)"), "6");
  EXPECT_ERROR("'taco'.lastIndexOf('a', -1)", "index out of range");
  EXPECT_EQ(Show("'TacoCÆt'.lowerAscii() + 'TacoCÆt'.upperAscii()"), Show("'tacocÆtTACOCÆT'"));
  EXPECT_EQ(Show("'{0} and {0}'.replace('{0}', 'x')"), "\"x and x\"");
  EXPECT_EQ(Show("'{0} and {0}'.replace('{0}', 'x', 1)"), "\"x and {0}\"");
  EXPECT_EQ(Show("'abc'.replace('', '-')"), "\"-a-b-c-\"");
  EXPECT_EQ(Show("'a,b,c'.split(',')"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(Show("'a,b,c'.split(',', 2)"), "[\"a\", \"b,c\"]");
  EXPECT_EQ(Show("'a,b,c'.split(',', 0)"), "[]");
  EXPECT_EQ(Show("'abc'.split('')"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(Show("'ta©o©αT'.substring(2, 6) == '©o©α'"), "true");
  EXPECT_ERROR("'taco'.substring(3, 2)", "invalid substring range");
  EXPECT_ERROR("'taco'.substring(5)", "index out of range");
  EXPECT_EQ(Show("' \\t\\u00a0\\u2003text\\u3000\\n'.trim()"), "\"text\"");
  EXPECT_EQ(Show("'\\u200btext'.trim() == '\\u200btext'"), "true");
  EXPECT_EQ(Show("['a', 'b'].join() + ['a', 'b'].join('-')"), "\"aba-b\"");
  EXPECT_ERROR("['a', 1].join()", "no such overload");
  EXPECT_EQ(Show("'Ta©o'.reverse() == 'o©aT'"), "true");
  EXPECT_EQ(Show("strings.quote('a\"b\\n')"), "\"\\\"a\\\\\\\"b\\\\n\\\"\"");
}

TEST(CelExtensions, Format) {
  EXPECT_EQ(Show("'%s and %d%% of %.2f'.format(['a', 5, 1.005])"), "\"a and 5% of 1.00\"");
  EXPECT_EQ(Show("'%b %o %x %X %x'.format([5, 8u, 255, 255, 'hi'])"), "\"101 10 ff FF 6869\"");
  EXPECT_EQ(Show("'%e|%f|%d'.format([1052.032911275, 2, double('NaN')])"),
            "\"1.052033e+03|2.000000|NaN\"");
  EXPECT_EQ(Show("'%s'.format([[1, 'a', null, {'b': 2, 'a': duration('1s')}]])"),
            "\"[1, a, null, {a: 1s, b: 2}]\"");
  EXPECT_ERROR("'%d %d'.format([1])", "index 1 out of range");
  EXPECT_ERROR("'%q'.format([1])", "unrecognized formatting clause");
  EXPECT_ERROR("'%d'.format([1.5])", "decimal clause");
  EXPECT_ERROR("'%f'.format(['x'])", "fixed-point clause");
}

TEST(CelExtensions, Math) {
  EXPECT_EQ(Show("math.greatest(1, 2.5, 3u)"), "3u");
  EXPECT_EQ(Show("math.greatest(-3, 3u)"), "3u");
  EXPECT_EQ(Show("math.least([5.4, 10, 3u, -5.0])"), "-5");
  EXPECT_EQ(Show("math.least(7)"), "7");
  EXPECT_ERROR("math.greatest([])", "no arguments");
  EXPECT_ERROR("math.greatest(1, 'a')", "no such overload");
  EXPECT_EQ(Show("[math.ceil(1.2), math.floor(-1.2), math.round(-1.5), math.trunc(-1.7)]"),
            "[2, -2, -2, -1]");
  EXPECT_ERROR("math.floor(1)", "no such overload");
  EXPECT_EQ(Show("[math.abs(-5), math.abs(5u), math.abs(-1.5)]"), "[5, 5u, 1.5]");
  EXPECT_ERROR("math.abs(-9223372036854775808)", "overflow");
  EXPECT_EQ(Show("[math.sign(-5), math.sign(0u), math.sign(2.5)]"), "[-1, 0u, 1]");
  EXPECT_EQ(Show("[math.isNaN(0.0/0.0), math.isInf(1.0/0.0), math.isFinite(1.0/0.0)]"),
            "[true, true, false]");
  EXPECT_EQ(Show("[math.bitAnd(6, 3), math.bitOr(6u, 3u), math.bitXor(6, 3), math.bitNot(0)]"),
            "[2, 7u, 5, -1]");
  EXPECT_EQ(Show("[math.bitShiftLeft(1, 3), math.bitShiftRight(-1024, 60), "
                 "math.bitShiftLeft(1u, 64)]"),
            "[8, 15, 0u]");
  EXPECT_ERROR("math.bitShiftRight(1, -1)", "negative offset");
}

TEST(CelExtensions, Base64) {
  EXPECT_EQ(Show("base64.encode(b'hello')"), "\"aGVsbG8=\"");
  EXPECT_EQ(Show("base64.decode('aGVsbG8=') == b'hello' && base64.decode('aGVsbG8') == b'hello'"),
            "true");
  EXPECT_ERROR("base64.decode('***')", "invalid");
}

TEST(CelExtensions, TwoVariableComprehensions) {
  EXPECT_EQ(Show("[10, 20].all(i, v, v == (i + 1) * 10)"), "true");
  EXPECT_EQ(Show("{'a': 1, 'b': 2}.exists(k, v, k == 'b' && v == 2)"), "true");
  EXPECT_EQ(Show("[1, 2, 3].existsOne(i, v, i == v)"), "false");
  EXPECT_EQ(Show("[1, 2, 3].transformList(i, v, i * v)"), "[0, 2, 6]");
  EXPECT_EQ(Show("[1, 2, 3].transformList(i, v, v > 1, v)"), "[2, 3]");
  EXPECT_EQ(Show("{'a': 1, 'b': 2}.transformMap(k, v, v * 10)"), "{\"a\": 10, \"b\": 20}");
  EXPECT_EQ(Show("['x', 'y'].transformMapEntry(i, v, {v: i})"), "{\"x\": 0, \"y\": 1}");
  EXPECT_ERROR("['x', 'x'].transformMapEntry(i, v, {v: i})", "insert failed");
  // Large maps are built in place, in linear time.
  std::string big = "[";
  for (int i = 0; i < 3000; ++i) big += (i ? "," : "") + std::to_string(i);
  big += "]";
  EXPECT_EQ(Show("size(" + big + ".transformMapEntry(i, v, {v: i}))"), "3000");
}

TEST(CelExtensions, BindAndBlock) {
  EXPECT_EQ(Show("cel.bind(x, 2 * 3, x * x + x)"), "42");
  EXPECT_EQ(Show("cel.bind(x, 1, cel.bind(x, x + 1, x))"), "2");
  EXPECT_EQ(Show("cel.block([1, cel.index(0) + 1, cel.index(1) * 10], cel.index(2))"), "20");
  EXPECT_EQ(Show("cel.block([1 / 0, 2], cel.index(1))"), "2");  // an unused error binding
  EXPECT_ERROR("cel.block([1 / 0], cel.index(0))", "division by zero");
}

// --- JSON strings as timestamps. ---

TEST(CelEvaluator, JsonStringsActAsTimestampsWhereOnlyATimestampFits) {
  Bindings data = {{"start", Value::JsonString("2024-03-01T10:00:00Z")},
                   {"end", Value::JsonString("2024-03-01T10:07:30Z")},
                   {"plain", Str("2024-03-01T10:00:00Z")},
                   {"bad", Value::JsonString("soon")}};
  EXPECT_TRUE_EXPR("end - start > duration('5m')", data);
  EXPECT_EQ(Show("string(end - start)", data), "\"450s\"");
  EXPECT_TRUE_EXPR("start < timestamp('2024-03-02T00:00:00Z')", data);
  EXPECT_TRUE_EXPR("timestamp('2024-03-01T10:00:00Z') == start", data);
  EXPECT_TRUE_EXPR("start + duration('7m30s') == timestamp('2024-03-01T10:07:30Z')", data);
  EXPECT_TRUE_EXPR("end - duration('7m30s') == timestamp(start)", data);
  EXPECT_EQ(Show("start.getDate()", data), "1");
  EXPECT_EQ(Show("end.getMinutes('+01:00')", data), "7");
  // Where a string overload exists the value is a string.
  EXPECT_TRUE_EXPR("start.startsWith('2024') && start + 'x' == '2024-03-01T10:00:00Zx'", data);
  EXPECT_TRUE_EXPR("start < end", data);  // string order
  EXPECT_TRUE_EXPR("start == plain", data);
  // Plain strings never coerce; a JSON string that is not a time is an error.
  EXPECT_ERROR("plain < timestamp('2024-03-02T00:00:00Z')", "no such overload", data);
  EXPECT_ERROR("plain.getDate()", "no such overload", data);
  EXPECT_ERROR("bad < timestamp('2024-03-02T00:00:00Z')", "invalid timestamp", data);
  EXPECT_ERROR("bad.getDate()", "invalid timestamp", data);
  EXPECT_ERROR("start - 1", "no such overload", data);
}

// --- Lazy values. ---

struct LazyCalls {
  int path = 0, has = 0, resolve = 0, size = 0;
  std::vector<size_t> path_lengths;
};

// A LazyValue over a materialised value that counts its calls; containers it hands out are
// lazy again.
class FakeLazy final : public LazyValue {
 public:
  FakeLazy(Value content, LazyCalls* calls, std::deque<FakeLazy>* arena)
      : content_(std::move(content)), calls_(calls), arena_(arena) {}

  Value Path(const PathStep* steps, size_t n) const override {
    ++calls_->path;
    calls_->path_lengths.push_back(n);
    Value v = Walk(steps, n);
    if (v.is(K::kMap) || v.is(K::kList)) {
      arena_->emplace_back(v, calls_, arena_);
      return Value::Lazy(&arena_->back());
    }
    return v;
  }
  Value Has(const PathStep* steps, size_t n) const override {
    ++calls_->has;
    Value parent = Walk(steps, n - 1);
    if (parent.is_error()) return parent;
    if (!parent.is(K::kMap)) return Value::ErrorView("not a map");
    return Value::Bool(parent.map().FindString(steps[n - 1].key) != nullptr);
  }
  Value Resolve() const override {
    ++calls_->resolve;
    return content_;
  }
  Value Size() const override {
    ++calls_->size;
    return Value::Int(static_cast<int64_t>(content_.is(K::kList) ? content_.list().size()
                                                                 : content_.map().size()));
  }

 private:
  Value Walk(const PathStep* steps, size_t n) const {
    Value v = content_;
    for (size_t i = 0; i < n; ++i) {
      const Value* next = nullptr;
      if (steps[i].is_index() && v.is(K::kList) &&
          static_cast<size_t>(steps[i].index) < v.list().size()) {
        next = &v.list()[steps[i].index];
      } else if (!steps[i].is_index() && v.is(K::kMap)) {
        next = v.map().FindString(steps[i].key);
      }
      if (next == nullptr) return Value::ErrorView("no such key");
      v = *next;
    }
    return v;
  }

  Value content_;
  LazyCalls* calls_;
  std::deque<FakeLazy>* arena_;
};

class CelLazy : public ::testing::Test {
 protected:
  CelLazy() {
    Value condition = Value::Map({{Str("reason"), Str("Succeeded")}});
    Value record = Value::Map(
        {{Str("kind"), Str("PipelineRun")},
         {Str("metadata"), Value::Map({{Str("namespace"), Str("default")},
                                       {Str("labels"), Value::Map({{Str("app"), Str("web")}})}})},
         {Str("status"),
          Value::Map({{Str("conditions"), Value::List({condition})},
                      {Str("childReferences"),
                       Value::List({Value::Int(1), Value::Int(2), Value::Int(3), Value::Int(4)})},
                      {Str("startTime"), Value::JsonString("2024-03-01T10:00:00Z")}})}});
    arena_.emplace_back(record, &calls_, &arena_);
  }

  Value Run(std::string_view expr) {
    auto parsed = Parse(expr);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    Environment env;
    EXPECT_TRUE(env.AddVariable("data", Type::Dyn()).ok());
    auto program = Program::Compile(*parsed, env, false);
    EXPECT_TRUE(program.ok()) << program.status();
    Value data = Value::Lazy(&arena_.front());
    return program->Evaluate(absl::MakeConstSpan(&data, 1)).Detached();
  }

  LazyCalls calls_;
  std::deque<FakeLazy> arena_;
};

TEST_F(CelLazy, AChainIsOnePathCallAndNoResolve) {
  EXPECT_EQ(Run("data.status.conditions[0].reason == 'Succeeded'").DebugString(), "true");
  EXPECT_EQ(calls_.path, 1);
  EXPECT_EQ(calls_.path_lengths, std::vector<size_t>{4});
  EXPECT_EQ(calls_.resolve, 0);
}

TEST_F(CelLazy, ConstantKeysFoldIntoThePath) {
  EXPECT_EQ(
      Run("data['kind'] == 'PipelineRun' && data.metadata.labels['app'] == 'web'").DebugString(),
      "true");
  EXPECT_EQ(calls_.path, 2);
  EXPECT_EQ(calls_.path_lengths, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(calls_.resolve, 0);
}

TEST_F(CelLazy, HasIsOneHasCall) {
  EXPECT_EQ(Run("has(data.metadata.labels.app) && !has(data.metadata.name)").DebugString(), "true");
  EXPECT_EQ(calls_.has, 2);
  EXPECT_EQ(calls_.path, 0);
  EXPECT_EQ(calls_.resolve, 0);
  EXPECT_TRUE(Run("has(data.nothing.here)").is_error());
}

TEST_F(CelLazy, SizeAsksTheLazyValue) {
  EXPECT_EQ(Run("size(data.status.childReferences) > 3").DebugString(), "true");
  EXPECT_EQ(calls_.size, 1);
  EXPECT_EQ(calls_.resolve, 0);
}

TEST_F(CelLazy, LazyResultsStayLazyUnderFurtherSelection) {
  // A dynamic index returns a lazy list element; selecting from it is another Path call.
  EXPECT_EQ(Run("[0].map(i, data.status.conditions[i].reason)").DebugString(), "[\"Succeeded\"]");
  EXPECT_EQ(calls_.resolve, 0);
  EXPECT_EQ(calls_.path, 3);  // data.status.conditions, [i], .reason
}

TEST_F(CelLazy, OtherOperationsResolve) {
  EXPECT_EQ(Run("data.status.childReferences.exists(c, c == 4)").DebugString(), "true");
  EXPECT_EQ(calls_.resolve, 1);
  EXPECT_EQ(Run("data.metadata.labels == {'app': 'web'}").DebugString(), "true");
  EXPECT_EQ(Run("data.status.childReferences").DebugString(), "[1, 2, 3, 4]");
}

TEST_F(CelLazy, MissingKeysAreErrors) {
  EXPECT_TRUE(Run("data.metadata.name").is_error());
  EXPECT_EQ(Run("data.metadata.name == 'x' || true").DebugString(), "true");
}

TEST_F(CelLazy, JsonTimesFromLazyValues) {
  EXPECT_EQ(Run("data.status.startTime.getHours() == 10").DebugString(), "true");
  EXPECT_EQ(Run("timestamp('2024-03-01T10:05:00Z') - data.status.startTime == duration('5m')")
                .DebugString(),
            "true");
}

TEST(CelEvaluator, PathsOverMaterialisedValuesApplyStepByStep) {
  Bindings data = {
      {"data", Value::Map({{Str("a"), Value::List({Value::Map({{Str("b"), Str("c")}})})},
                           {Value::Int(0), Str("zero")}})}};
  EXPECT_EQ(Show("data.a[0].b", data), "\"c\"");
  EXPECT_EQ(Show("data[0]", data), "\"zero\"");
  EXPECT_EQ(Show("data[0u]", data), "\"zero\"");
  EXPECT_ERROR("data.a[1]", "index out of range", data);
  EXPECT_ERROR("data.a.b", "does not support field selection", data);
}

// --- Compiling. ---

Environment TektonEnv() {
  Environment env;
  EXPECT_TRUE(env.AddVariable("summary", Type::Message(RecordSummaryType())).ok());
  EXPECT_TRUE(env.AddVariable("data", Type::Dyn()).ok());
  EXPECT_TRUE(env.AddVariable("data_type", Type::String()).ok());
  EXPECT_TRUE(env.AddConstant("SUCCESS", Value::Int(1)).ok());
  EXPECT_TRUE(env.AddConstant("PIPELINE_RUN", Str("tekton.dev/v1.PipelineRun")).ok());
  return env;
}

absl::StatusOr<Program> CompileIn(const Environment& env, std::string_view expr,
                                  bool require_bool = true) {
  auto parsed = Parse(expr);
  if (!parsed.ok()) return parsed.status();
  return Program::Compile(*parsed, env, require_bool);
}

std::string CompileError(std::string_view expr, bool require_bool = true) {
  auto program = CompileIn(TektonEnv(), expr, require_bool);
  return program.ok() ? "(compiled)" : std::string(program.status().message());
}

TEST(CelCompile, UndeclaredReferencesWithPositions) {
  EXPECT_EQ(CompileError("data_type == 'x' &&\n  nope == 1"),
            "2:3: undeclared reference to 'nope'");
  EXPECT_EQ(CompileError("f(1)"), "1:1: undeclared reference to 'f'");
  EXPECT_EQ(CompileError("data.x.exists(y, y == z)"), "1:23: undeclared reference to 'z'");
}

TEST(CelCompile, UndefinedMessageFields) {
  EXPECT_EQ(CompileError("summary.foo == 1"), "1:9: undefined field 'foo'");
  EXPECT_EQ(CompileError("has(summary.bar)"), "1:13: undefined field 'bar'");
  EXPECT_EQ(CompileError("summary.status == SUCCESS && summary.annotations['a'] == 'b'"),
            "(compiled)");
}

TEST(CelCompile, RequireBool) {
  EXPECT_EQ(CompileError("data_type"), "1:1: expected boolean expression, but got string");
  EXPECT_EQ(CompileError("1 + 2"), "1:3: expected boolean expression, but got int");
  EXPECT_EQ(CompileError("summary.start_time"),
            "1:9: expected boolean expression, but got google.protobuf.Timestamp");
  EXPECT_EQ(CompileError("[1].map(x, x)"), "1:5: expected boolean expression, but got list(dyn)");
  EXPECT_EQ(CompileError("data_type", /*require_bool=*/false), "(compiled)");
  // Whatever could be a bool at run time compiles.
  EXPECT_EQ(CompileError("data.done"), "(compiled)");
  EXPECT_EQ(CompileError("data_type == PIPELINE_RUN"), "(compiled)");
  EXPECT_EQ(CompileError("[1].all(x, x > 0)"), "(compiled)");
  EXPECT_EQ(CompileError("data.a ? true : false"), "(compiled)");
}

TEST(CelCompile, ConstantsAreInlined) {
  Environment env = TektonEnv();
  auto program = CompileIn(env, "summary.status == SUCCESS && data_type == PIPELINE_RUN");
  ASSERT_TRUE(program.ok()) << program.status();
  Value summary = Value::Map({{Str("status"), Value::Int(1)}});
  Value values[] = {summary, Value::Map({}), Str("tekton.dev/v1.PipelineRun")};
  EXPECT_EQ(program->Evaluate(values).DebugString(), "true");
  values[2] = Str("tekton.dev/v1.TaskRun");
  EXPECT_EQ(program->Evaluate(values).DebugString(), "false");
}

TEST(CelCompile, ContainerResolution) {
  Environment env;
  env.set_container("a.b");
  ASSERT_TRUE(env.AddVariable("a.b.y", Type::Dyn()).ok());
  ASSERT_TRUE(env.AddVariable("a.z", Type::Dyn()).ok());
  ASSERT_TRUE(env.AddVariable("y", Type::Dyn()).ok());
  ASSERT_TRUE(env.AddVariable("m", Type::Dyn()).ok());
  Value values[] = {Str("a.b.y"), Str("a.z"), Str("y"),
                    Value::Map({{Str("f"), Value::Map({{Str("g"), Str("m.f.g")}})}})};
  struct Case {
    const char* expr;
    const char* want;
  } cases[] = {
      {"y", "\"a.b.y\""},     {".y", "\"y\""},          {"z", "\"a.z\""},
      {"m.f.g", "\"m.f.g\""}, {"[1].map(y, y)", "[1]"}, {"a.b.y", "\"a.b.y\""},
  };
  for (const Case& c : cases) {
    auto program = CompileIn(env, c.expr, false);
    ASSERT_TRUE(program.ok()) << c.expr << ": " << program.status();
    EXPECT_EQ(program->Evaluate(values).DebugString(), c.want) << c.expr;
  }
}

TEST(CelCompile, UncheckedEnvironmentsDeferErrorsToEvaluation) {
  Environment env;
  env.set_check_references(false);
  auto program = CompileIn(env, "nope || f(1) || true", false);
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->Evaluate({}).DebugString(), "true");
  program = CompileIn(env, "nope == 1", false);
  ASSERT_TRUE(program.ok());
  EXPECT_TRUE(program->Evaluate({}).is_error());
}

TEST(CelCompile, MissingVariablesAreErrorsNotCrashes) {
  Environment env = TektonEnv();
  auto program = CompileIn(env, "data_type == 'x'");
  ASSERT_TRUE(program.ok());
  EXPECT_TRUE(program->Evaluate({}).is_error());
}

TEST(CelCompile, ResultTypes) {
  Environment env = TektonEnv();
  EXPECT_EQ(CompileIn(env, "summary.annotations['x']", false)->result_type().Name(), "string");
  EXPECT_EQ(CompileIn(env, "1u + 2u", false)->result_type().Name(), "uint");
  EXPECT_EQ(CompileIn(env, "data.x", false)->result_type().Name(), "dyn");
  EXPECT_EQ(CompileIn(env, "[1, 2]", false)->result_type().Name(), "list(int)");
}

// --- Programs in use. ---

TEST(CelProgram, ConcurrentEvaluations) {
  Environment env;
  ASSERT_TRUE(env.AddVariable("x", Type::Dyn()).ok());
  auto program =
      CompileIn(env, "[1, 2, 3].map(i, i * x).exists(v, v == 3 * x) && 'a' + 'b' == 'ab'");
  ASSERT_TRUE(program.ok()) << program.status();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        Value x = Value::Int(t * 1000 + i);
        if (program->Evaluate(absl::MakeConstSpan(&x, 1)).DebugString() != "true") ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(CelProgram, SimpleFiltersDoNotAllocate) {
  Environment env;
  ASSERT_TRUE(env.AddVariable("data", Type::Dyn()).ok());
  ASSERT_TRUE(env.AddVariable("data_type", Type::String()).ok());
  auto program = CompileIn(env,
                           "data.metadata.namespace == 'default' && data_type == 'x' && "
                           "data.spec.timeout == '1h0m0s' && data.status.n > 3 && "
                           "data.kind in ['PipelineRun', 'TaskRun']");
  ASSERT_TRUE(program.ok()) << program.status();
  Value data =
      Value::Map({{Str("metadata"), Value::Map({{Str("namespace"), Str("default")}})},
                  {Str("spec"), Value::Map({{Str("timeout"), Value::JsonString("1h0m0s")}})},
                  {Str("status"), Value::Map({{Str("n"), Value::Double(4)}})},
                  {Str("kind"), Value::JsonString("TaskRun")}});
  Value values[] = {data, Str("x")};
  ASSERT_EQ(program->Evaluate(values).DebugString(), "true");
  int64_t before = allocations;
  Value result = program->Evaluate(values);
  EXPECT_EQ(allocations - before, 0);
  EXPECT_TRUE(result.bool_value());
}

TEST(CelProgram, FilterThroughputOverRecordJson) {
  Environment env;
  ASSERT_TRUE(env.AddVariable("data", Type::Dyn()).ok());
  auto program =
      CompileIn(env, "data.spec.timeout == '1h0m0s' && size(data.status.childReferences) > 3");
  ASSERT_TRUE(program.ok()) << program.status();
  const std::string json = R"({"apiVersion":"tekton.dev/v1","kind":"PipelineRun",
      "metadata":{"name":"build-1","namespace":"default","labels":{"app":"web"}},
      "spec":{"pipelineRef":{"name":"build"},"timeout":"1h0m0s","params":[{"name":"a","value":"b"}]},
      "status":{"startTime":"2024-03-01T10:00:00Z","completionTime":"2024-03-01T10:07:30Z",
        "conditions":[{"type":"Succeeded","status":"True","reason":"Succeeded"}],
        "childReferences":[{"name":"t1"},{"name":"t2"},{"name":"t3"},{"name":"t4"},{"name":"t5"}]}})";
  JsonDocument document;
  constexpr int kRuns = 200000;
  int matched = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    document.Bind(json);
    Value data = document.root();
    matched += program->Evaluate(absl::MakeConstSpan(&data, 1)).bool_value();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(matched, kRuns);
  std::cout << "[ perf     ] bind + evaluate: " << static_cast<int64_t>(kRuns / seconds)
            << " records/s" << std::endl;
  RecordProperty("records_per_second", static_cast<int>(kRuns / seconds));
}

}  // namespace
}  // namespace runledger::cel
