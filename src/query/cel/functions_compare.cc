// == != < <= > >= and `in`, on top of equality.h; and logical not.
#include "src/query/cel/equality.h"
#include "src/query/cel/functions.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;
constexpr KindMask kBool = Mask(K::kBool);

Value Eq(absl::Span<const Value> a) { return Equal(a[0], a[1]); }

Value Ne(absl::Span<const Value> a) {
  Value e = Equal(a[0], a[1]);
  return e.is_error() ? e : Value::Bool(!e.bool_value());
}

// One relational operator: which orderings make it true.
template <bool kLess, bool kEqual, bool kGreater>
Value Relation(absl::Span<const Value> args) {
  Value a = args[0], b = args[1], error;
  if (!CoerceJsonTimestamp(&a, &b, &error)) return error;
  switch (Compare(a, b)) {
    case Ordering::kLess:
      return Value::Bool(kLess);
    case Ordering::kEqual:
      return Value::Bool(kEqual);
    case Ordering::kGreater:
      return Value::Bool(kGreater);
    case Ordering::kUnordered:
      return Value::Bool(false);
    case Ordering::kIncomparable:
      break;
  }
  constexpr std::string_view kNames[2][2][2] = {{{"", "_>_"}, {"_==_", "_>=_"}},
                                                {{"_<_", "_!=_"}, {"_<=_", ""}}};
  return NoSuchOverload(kNames[kLess][kEqual][kGreater], args);
}

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
    {"_<_", G, 2, {kAnyKind, kAnyKind}, kBool, Relation<true, false, false>},
    {"_<=_", G, 2, {kAnyKind, kAnyKind}, kBool, Relation<true, true, false>},
    {"_>_", G, 2, {kAnyKind, kAnyKind}, kBool, Relation<false, false, true>},
    {"_>=_", G, 2, {kAnyKind, kAnyKind}, kBool, Relation<false, true, true>},
    {"!_", G, 1, {kBool}, kBool, Not},
    {"@in", G, 2, {kAnyKind, Mask(K::kList)}, kBool, InList},
    {"@in", G, 2, {kAnyKind, Mask(K::kMap)}, kBool, InMap},
};

}  // namespace

absl::Span<const Overload> ComparisonOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
