// size() and the standard string functions: contains, startsWith, endsWith, matches (RE2;
// the evaluator precompiles constant patterns, this is the dynamic form).
#include "re2/re2.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/strings.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

Value SizeText(absl::Span<const Value> a) { return Value::Int(CodePointCount(a[0].text())); }
Value SizeBytes(absl::Span<const Value> a) {
  return Value::Int(static_cast<int64_t>(a[0].text().size()));
}
Value SizeList(absl::Span<const Value> a) {
  return Value::Int(static_cast<int64_t>(a[0].list().size()));
}
Value SizeMap(absl::Span<const Value> a) {
  return Value::Int(static_cast<int64_t>(a[0].map().size()));
}

Value Contains(absl::Span<const Value> a) {
  return Value::Bool(a[0].text().find(a[1].text()) != std::string_view::npos);
}
Value StartsWith(absl::Span<const Value> a) {
  std::string_view s = a[0].text(), p = a[1].text();
  return Value::Bool(s.substr(0, p.size()) == p);
}
Value EndsWith(absl::Span<const Value> a) {
  std::string_view s = a[0].text(), p = a[1].text();
  return Value::Bool(s.size() >= p.size() && s.substr(s.size() - p.size()) == p);
}

Value Matches(absl::Span<const Value> a) {
  RE2 re(ToRe2(a[1].text()), RE2::Quiet);
  return MatchRegex(re, a[0].text());
}

constexpr CallStyle E = CallStyle::kEither;
constexpr CallStyle R = CallStyle::kReceiver;

const Overload kOverloads[] = {
    {"size", E, 1, {kString}, kInt, SizeText},
    {"size", E, 1, {Mask(K::kBytes)}, kInt, SizeBytes},
    {"size", E, 1, {Mask(K::kList)}, kInt, SizeList},
    {"size", E, 1, {Mask(K::kMap)}, kInt, SizeMap},
    {"contains", R, 2, {kString, kString}, kBool, Contains},
    {"startsWith", R, 2, {kString, kString}, kBool, StartsWith},
    {"endsWith", R, 2, {kString, kString}, kBool, EndsWith},
    {"matches", E, 2, {kString, kString}, kBool, Matches},
};

}  // namespace

absl::Span<const Overload> StringOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal

namespace runledger::cel {

Value LazyValue::Size() const {
  static const Function* const size = FindFunction("size");
  Value v = Resolve();
  return size->Call(false, absl::MakeSpan(&v, 1));
}

}  // namespace runledger::cel
