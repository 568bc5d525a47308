// == != < <= > >= and `in`, on top of equality.h; and logical not.
#include "src/query/cel/equality.h"
#include "src/query/cel/functions.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

Value Eq(absl::Span<const Value> a) { return Equal(a[0], a[1]); }

Value Ne(absl::Span<const Value> a) {
  Value e = Equal(a[0], a[1]);
  return e.is_error() ? e : Value::Bool(!e.bool_value());
}

// A relational operator `name`, true for the orderings it lists.
Value Relation(absl::Span<const Value> args, std::string_view name, bool less, bool equal,
               bool greater) {
  Value a = args[0], b = args[1], error;
  if (!CoerceJsonTimestamp(&a, &b, &error)) return error;
  switch (Compare(a, b)) {
    case Ordering::kLess:
      return Value::Bool(less);
    case Ordering::kEqual:
      return Value::Bool(equal);
    case Ordering::kGreater:
      return Value::Bool(greater);
    case Ordering::kUnordered:  // NaN
      return Value::Bool(false);
    case Ordering::kIncomparable:
      break;
  }
  return NoSuchOverload(name, args);
}

Value Less(absl::Span<const Value> a) { return Relation(a, "_<_", true, false, false); }
Value LessEq(absl::Span<const Value> a) { return Relation(a, "_<=_", true, true, false); }
Value Greater(absl::Span<const Value> a) { return Relation(a, "_>_", false, false, true); }
Value GreaterEq(absl::Span<const Value> a) { return Relation(a, "_>=_", false, true, true); }

Value Not(absl::Span<const Value> a) { return Value::Bool(!a[0].bool_value()); }

Value InList(absl::Span<const Value> a) {
  for (const Value& element : a[1].list().elements()) {
    Value e = Equal(a[0], element);
    if (e.is(K::kBool) && e.bool_value()) return e;
  }
  return Value::Bool(false);
}

Value InMap(absl::Span<const Value> a) { return Value::Bool(a[1].map().Find(a[0]) != nullptr); }

constexpr CallStyle G = CallStyle::kGlobal;

const Overload kOverloads[] = {
    {"_==_", G, 2, {kAnyKind, kAnyKind}, kBool, Eq},
    {"_!=_", G, 2, {kAnyKind, kAnyKind}, kBool, Ne},
    {"_<_", G, 2, {kAnyKind, kAnyKind}, kBool, Less},
    {"_<=_", G, 2, {kAnyKind, kAnyKind}, kBool, LessEq},
    {"_>_", G, 2, {kAnyKind, kAnyKind}, kBool, Greater},
    {"_>=_", G, 2, {kAnyKind, kAnyKind}, kBool, GreaterEq},
    {"!_", G, 1, {kBool}, kBool, Not},
    {"@in", G, 2, {kAnyKind, Mask(K::kList)}, kBool, InList},
    {"@in", G, 2, {kAnyKind, Mask(K::kMap)}, kBool, InMap},
};

}  // namespace

absl::Span<const Overload> ComparisonOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
