// The math extension (cel-go ext.Math): math.greatest and math.least over numbers of any
// numeric type (or one list of them), rounding (ceil, floor, round, trunc) and classification
// (isNaN, isInf, isFinite) of doubles, abs and sign, and the bitwise functions on int and uint.
#include <cmath>
#include <functional>
#include <limits>

#include "src/query/cel/equality.h"
#include "src/query/cel/functions.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

// The argument that is greatest (kWant = kGreater) or least, keeping its type; the first of
// equals. One list argument stands for its elements.
template <Ordering kWant>
Value Extreme(absl::Span<const Value> args) {
  if (args.size() == 1 && args[0].is(K::kList)) args = args[0].list().elements();
  if (args.empty()) return Value::ErrorView("math.greatest/least: no arguments");
  Value best;
  for (size_t i = 0; i < args.size(); ++i) {
    Value v = args[i].Resolved();
    if (!v.is(K::kInt) && !v.is(K::kUint) && !v.is(K::kDouble)) {
      return NoSuchOverload(kWant == Ordering::kGreater ? "math.greatest" : "math.least",
                            absl::MakeConstSpan(&v, 1));
    }
    if (i == 0 || Compare(v, best) == kWant) best = std::move(v);
  }
  return best;
}

double Ceil(double d) { return std::ceil(d); }
double Floor(double d) { return std::floor(d); }
double Round(double d) { return std::round(d); }  // half away from zero
double Trunc(double d) { return std::trunc(d); }

template <double (*kRound)(double)>
Value RoundDouble(absl::Span<const Value> a) {
  return Value::Double(kRound(a[0].double_value()));
}

Value IsNaN(absl::Span<const Value> a) { return Value::Bool(std::isnan(a[0].double_value())); }
Value IsInf(absl::Span<const Value> a) { return Value::Bool(std::isinf(a[0].double_value())); }
Value IsFinite(absl::Span<const Value> a) {
  return Value::Bool(std::isfinite(a[0].double_value()));
}

Value AbsInt(absl::Span<const Value> a) {
  int64_t i = a[0].int_value();
  if (i == std::numeric_limits<int64_t>::min()) return Value::ErrorView("integer overflow");
  return Value::Int(i < 0 ? -i : i);
}
Value AbsDouble(absl::Span<const Value> a) { return Value::Double(std::fabs(a[0].double_value())); }
Value Identity(absl::Span<const Value> a) { return a[0]; }

Value SignInt(absl::Span<const Value> a) {
  int64_t i = a[0].int_value();
  return Value::Int((i > 0) - (i < 0));
}
Value SignUint(absl::Span<const Value> a) { return Value::Uint(a[0].uint_value() > 0); }
Value SignDouble(absl::Span<const Value> a) {
  double d = a[0].double_value();
  if (std::isnan(d) || d == 0) return a[0];
  return Value::Double(d > 0 ? 1.0 : -1.0);
}

template <typename Op>
Value BitInt(absl::Span<const Value> a) {
  return Value::Int(Op()(a[0].int_value(), a[1].int_value()));
}
template <typename Op>
Value BitUint(absl::Span<const Value> a) {
  return Value::Uint(Op()(a[0].uint_value(), a[1].uint_value()));
}
Value BitNotInt(absl::Span<const Value> a) { return Value::Int(~a[0].int_value()); }
Value BitNotUint(absl::Span<const Value> a) { return Value::Uint(~a[0].uint_value()); }

// Shifts as unsigned 64-bit values (logical for ints too); 64 places or more give 0.
template <bool kLeft>
Value Shift(absl::Span<const Value> a) {
  int64_t by = a[1].int_value();
  if (by < 0) return Value::ErrorView("math.bitShift: negative offset");
  uint64_t bits = a[0].is(K::kInt) ? static_cast<uint64_t>(a[0].int_value()) : a[0].uint_value();
  uint64_t shifted = by >= 64 ? 0 : (kLeft ? bits << by : bits >> by);
  return a[0].is(K::kInt) ? Value::Int(static_cast<int64_t>(shifted)) : Value::Uint(shifted);
}

constexpr CallStyle G = CallStyle::kGlobal;
constexpr KindMask kNumbers = kInt | kUint | kDouble;

const Overload kOverloads[] = {
    {"math.greatest", G, kVariadic, {kNumbers | kList}, kNumbers, Extreme<Ordering::kGreater>},
    {"math.least", G, kVariadic, {kNumbers | kList}, kNumbers, Extreme<Ordering::kLess>},
    {"math.ceil", G, 1, {kDouble}, kDouble, RoundDouble<Ceil>},
    {"math.floor", G, 1, {kDouble}, kDouble, RoundDouble<Floor>},
    {"math.round", G, 1, {kDouble}, kDouble, RoundDouble<Round>},
    {"math.trunc", G, 1, {kDouble}, kDouble, RoundDouble<Trunc>},
    {"math.isNaN", G, 1, {kDouble}, kBool, IsNaN},
    {"math.isInf", G, 1, {kDouble}, kBool, IsInf},
    {"math.isFinite", G, 1, {kDouble}, kBool, IsFinite},
    {"math.abs", G, 1, {kInt}, kInt, AbsInt},
    {"math.abs", G, 1, {kUint}, kUint, Identity},
    {"math.abs", G, 1, {kDouble}, kDouble, AbsDouble},
    {"math.sign", G, 1, {kInt}, kInt, SignInt},
    {"math.sign", G, 1, {kUint}, kUint, SignUint},
    {"math.sign", G, 1, {kDouble}, kDouble, SignDouble},
    {"math.bitAnd", G, 2, {kInt, kInt}, kInt, BitInt<std::bit_and<int64_t>>},
    {"math.bitAnd", G, 2, {kUint, kUint}, kUint, BitUint<std::bit_and<uint64_t>>},
    {"math.bitOr", G, 2, {kInt, kInt}, kInt, BitInt<std::bit_or<int64_t>>},
    {"math.bitOr", G, 2, {kUint, kUint}, kUint, BitUint<std::bit_or<uint64_t>>},
    {"math.bitXor", G, 2, {kInt, kInt}, kInt, BitInt<std::bit_xor<int64_t>>},
    {"math.bitXor", G, 2, {kUint, kUint}, kUint, BitUint<std::bit_xor<uint64_t>>},
    {"math.bitNot", G, 1, {kInt}, kInt, BitNotInt},
    {"math.bitNot", G, 1, {kUint}, kUint, BitNotUint},
    {"math.bitShiftLeft", G, 2, {kInt | kUint, kInt}, kInt | kUint, Shift<true>},
    {"math.bitShiftRight", G, 2, {kInt | kUint, kInt}, kInt | kUint, Shift<false>},
};

}  // namespace

absl::Span<const Overload> MathExtOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
