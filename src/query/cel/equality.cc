#include "src/query/cel/equality.h"

#include <cmath>

#include "src/query/cel/cel_time.h"

namespace runledger::cel {
namespace {

using K = ValueKind;

constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;

template <typename T>
Ordering Order(const T& a, const T& b) {
  if (a < b) return Ordering::kLess;
  if (b < a) return Ordering::kGreater;
  return Ordering::kEqual;
}

Ordering Reverse(Ordering o) {
  if (o == Ordering::kLess) return Ordering::kGreater;
  if (o == Ordering::kGreater) return Ordering::kLess;
  return o;
}

Ordering CompareIntUint(int64_t i, uint64_t u) {
  if (i < 0) return Ordering::kLess;
  return Order(static_cast<uint64_t>(i), u);
}

// An integer against a double as cel-go compares them: beyond the integer type's range by
// range, within it as doubles (so 2^63 - 1 and 2^63 compare equal, the integer rounded).
template <typename T>
Ordering CompareIntegerDouble(T i, double d, double min, double max) {
  if (std::isnan(d)) return Ordering::kUnordered;
  if (d < min) return Ordering::kGreater;
  if (d > max) return Ordering::kLess;
  return Order(static_cast<double>(i), d);
}

Ordering CompareNumbers(const Value& a, const Value& b) {
  switch (a.kind()) {
    case K::kInt:
      if (b.is(K::kInt)) return Order(a.int_value(), b.int_value());
      if (b.is(K::kUint)) return CompareIntUint(a.int_value(), b.uint_value());
      return CompareIntegerDouble(a.int_value(), b.double_value(), -kTwo63, kTwo63);
    case K::kUint:
      if (b.is(K::kUint)) return Order(a.uint_value(), b.uint_value());
      if (b.is(K::kInt)) return Reverse(CompareIntUint(b.int_value(), a.uint_value()));
      return CompareIntegerDouble(a.uint_value(), b.double_value(), 0.0, kTwo64);
    default:
      if (b.is(K::kDouble)) {
        double x = a.double_value(), y = b.double_value();
        if (std::isnan(x) || std::isnan(y)) return Ordering::kUnordered;
        return Order(x, y);
      }
      return Reverse(CompareNumbers(b, a));
  }
}

bool IsNumber(const Value& v) { return v.is(K::kInt) || v.is(K::kUint) || v.is(K::kDouble); }

Value ListsEqual(const ListValue& a, const ListValue& b) {
  if (a.size() != b.size()) return Value::Bool(false);
  for (size_t i = 0; i < a.size(); ++i) {
    Value e = Equal(a[i], b[i]);
    if (!e.is(K::kBool) || !e.bool_value()) return e;
  }
  return Value::Bool(true);
}

Value MapsEqual(const MapValue& a, const MapValue& b) {
  if (a.size() != b.size()) return Value::Bool(false);
  for (const auto& [key, value] : a.entries()) {
    const Value* other = b.Find(key);
    if (other == nullptr) return Value::Bool(false);
    Value e = Equal(value, *other);
    if (!e.is(K::kBool) || !e.bool_value()) return e;
  }
  return Value::Bool(true);
}

}  // namespace

bool CoerceJsonTimestamp(Value* a, Value* b, Value* error) {
  Value* json = nullptr;
  if (a->is_json_string() && b->is(K::kTimestamp)) json = a;
  if (b->is_json_string() && a->is(K::kTimestamp)) json = b;
  if (json == nullptr) return true;
  *json = ParseTimestamp(json->text());
  if (!json->is_error()) return true;
  *error = *json;
  return false;
}

Ordering Compare(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b);
  if (a.kind() != b.kind()) return Ordering::kIncomparable;
  switch (a.kind()) {
    case K::kBool:
      return Order(a.bool_value(), b.bool_value());
    case K::kString:  // UTF-8 byte order is code point order
    case K::kBytes:
      return Order(a.text(), b.text());
    case K::kTimestamp:
      return Order(a.timestamp_value(), b.timestamp_value());
    case K::kDuration:
      return Order(a.duration_value(), b.duration_value());
    default:
      return Ordering::kIncomparable;
  }
}

Value Equal(const Value& a_in, const Value& b_in) {
  if (a_in.is_error()) return a_in;
  if (b_in.is_error()) return b_in;
  Value a = a_in.Resolved(), b = b_in.Resolved();
  Value error;
  if (!CoerceJsonTimestamp(&a, &b, &error)) return error;
  if (IsNumber(a) && IsNumber(b)) return Value::Bool(CompareNumbers(a, b) == Ordering::kEqual);
  if (a.kind() != b.kind()) return Value::Bool(false);
  switch (a.kind()) {
    case K::kNull:
      return Value::Bool(true);
    case K::kList:
      return ListsEqual(a.list(), b.list());
    case K::kMap:
      return MapsEqual(a.map(), b.map());
    case K::kType:
      return Value::Bool(a.text() == b.text());
    default:
      return Value::Bool(Compare(a, b) == Ordering::kEqual);
  }
}

}  // namespace runledger::cel
