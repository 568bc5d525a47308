// + - * / % and negation on numbers, and + on strings, bytes and lists. Integer overflow and
// division or modulus by zero are errors; doubles follow IEEE 754. Time arithmetic is in
// time_functions.cc.
#include <cstdint>
#include <limits>

#include "src/query/cel/functions.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

Value Overflow() { return Value::ErrorView("integer overflow"); }
Value DivisionByZero() { return Value::ErrorView("division by zero"); }
Value ModulusByZero() { return Value::ErrorView("modulus by zero"); }

Value AddInt(absl::Span<const Value> a) {
  int64_t r;
  if (__builtin_add_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow();
  return Value::Int(r);
}
Value SubInt(absl::Span<const Value> a) {
  int64_t r;
  if (__builtin_sub_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow();
  return Value::Int(r);
}
Value MulInt(absl::Span<const Value> a) {
  int64_t r;
  if (__builtin_mul_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow();
  return Value::Int(r);
}
Value DivInt(absl::Span<const Value> a) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return DivisionByZero();
  if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow();
  return Value::Int(x / y);
}
Value ModInt(absl::Span<const Value> a) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return ModulusByZero();
  if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow();
  return Value::Int(x % y);
}
Value NegInt(absl::Span<const Value> a) {
  if (a[0].int_value() == std::numeric_limits<int64_t>::min()) return Overflow();
  return Value::Int(-a[0].int_value());
}

Value AddUint(absl::Span<const Value> a) {
  uint64_t r;
  if (__builtin_add_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow();
  return Value::Uint(r);
}
Value SubUint(absl::Span<const Value> a) {
  uint64_t r;
  if (__builtin_sub_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow();
  return Value::Uint(r);
}
Value MulUint(absl::Span<const Value> a) {
  uint64_t r;
  if (__builtin_mul_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow();
  return Value::Uint(r);
}
Value DivUint(absl::Span<const Value> a) {
  if (a[1].uint_value() == 0) return DivisionByZero();
  return Value::Uint(a[0].uint_value() / a[1].uint_value());
}
Value ModUint(absl::Span<const Value> a) {
  if (a[1].uint_value() == 0) return ModulusByZero();
  return Value::Uint(a[0].uint_value() % a[1].uint_value());
}

Value AddDouble(absl::Span<const Value> a) {
  return Value::Double(a[0].double_value() + a[1].double_value());
}
Value SubDouble(absl::Span<const Value> a) {
  return Value::Double(a[0].double_value() - a[1].double_value());
}
Value MulDouble(absl::Span<const Value> a) {
  return Value::Double(a[0].double_value() * a[1].double_value());
}
Value DivDouble(absl::Span<const Value> a) {
  return Value::Double(a[0].double_value() / a[1].double_value());
}
Value NegDouble(absl::Span<const Value> a) { return Value::Double(-a[0].double_value()); }

// Strings and bytes: the concatenation, of the same kind as the operands.
Value Concat(absl::Span<const Value> a) {
  std::string_view x = a[0].text(), y = a[1].text();
  if (x.size() + y.size() > kMaxBuiltSize) return Value::ErrorView("string too long");
  std::string r;
  r.reserve(x.size() + y.size());
  r.append(x).append(y);
  return a[0].is(K::kString) ? Value::String(std::move(r)) : Value::Bytes(std::move(r));
}

Value ConcatList(absl::Span<const Value> a) {
  const ListValue& x = a[0].list();
  const ListValue& y = a[1].list();
  if (y.size() == 0) return a[0];
  if (x.size() == 0) return a[1];
  if (x.size() + y.size() > kMaxListSize) return Value::ErrorView("list too long");
  std::vector<Value> r;
  r.reserve(x.size() + y.size());
  r.insert(r.end(), x.elements().begin(), x.elements().end());
  r.insert(r.end(), y.elements().begin(), y.elements().end());
  return Value::List(std::move(r));
}

constexpr CallStyle G = CallStyle::kGlobal;

const Overload kOverloads[] = {
    {"_+_", G, 2, {kInt, kInt}, kInt, AddInt},
    {"_+_", G, 2, {kUint, kUint}, kUint, AddUint},
    {"_+_", G, 2, {kDouble, kDouble}, kDouble, AddDouble},
    {"_+_", G, 2, {kString, kString}, kString, Concat},
    {"_+_", G, 2, {kBytes, kBytes}, kBytes, Concat},
    {"_+_", G, 2, {kList, kList}, kList, ConcatList},
    {"_-_", G, 2, {kInt, kInt}, kInt, SubInt},
    {"_-_", G, 2, {kUint, kUint}, kUint, SubUint},
    {"_-_", G, 2, {kDouble, kDouble}, kDouble, SubDouble},
    {"_*_", G, 2, {kInt, kInt}, kInt, MulInt},
    {"_*_", G, 2, {kUint, kUint}, kUint, MulUint},
    {"_*_", G, 2, {kDouble, kDouble}, kDouble, MulDouble},
    {"_/_", G, 2, {kInt, kInt}, kInt, DivInt},
    {"_/_", G, 2, {kUint, kUint}, kUint, DivUint},
    {"_/_", G, 2, {kDouble, kDouble}, kDouble, DivDouble},
    {"_%_", G, 2, {kInt, kInt}, kInt, ModInt},
    {"_%_", G, 2, {kUint, kUint}, kUint, ModUint},
    {"-_", G, 1, {kInt}, kInt, NegInt},
    {"-_", G, 1, {kDouble}, kDouble, NegDouble},
};

}  // namespace

absl::Span<const Overload> ArithmeticOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
