// Type conversions int(), uint(), double(), string(), bytes(), bool(), and type() and dyn().
// Out-of-range and unparsable conversions are errors. Timestamp and duration conversions are
// in time_functions.cc.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/string_view_compat.h"
#include "src/query/cel/strings.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;

Value RangeError(std::string_view type) {
  return Value::Error(absl::StrCat(ToAbsl(type), " out of range"));
}
Value ParseError(std::string_view type, std::string_view text) {
  return Value::Error(absl::StrCat("cannot convert '", ToAbsl(text), "' to ", ToAbsl(type)));
}

// A whole decimal number with an optional sign and nothing else, as Go's strconv does.
template <typename T>
bool ParseInteger(std::string_view s, T* out) {
  bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty() || s.front() == '-' || s.front() == '+') return false;
  uint64_t magnitude;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  if constexpr (std::is_signed_v<T>) {
    if (magnitude > (negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) return false;
    *out = negative ? static_cast<T>(0 - magnitude) : static_cast<T>(magnitude);
    return true;
  } else {
    if (negative && magnitude != 0) return false;
    *out = magnitude;
    return true;
  }
}

Value Identity(absl::Span<const Value> a) { return a[0]; }

Value IntFromUint(absl::Span<const Value> a) {
  if (a[0].uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return RangeError("int");
  }
  return Value::Int(static_cast<int64_t>(a[0].uint_value()));
}
Value IntFromDouble(absl::Span<const Value> a) {
  double d = a[0].double_value();
  if (!(d > -kTwo63 && d < kTwo63)) return RangeError("int");  // also NaN
  return Value::Int(static_cast<int64_t>(d));
}
Value IntFromString(absl::Span<const Value> a) {
  int64_t i;
  if (!ParseInteger(a[0].text(), &i)) return ParseError("int", a[0].text());
  return Value::Int(i);
}

Value UintFromInt(absl::Span<const Value> a) {
  if (a[0].int_value() < 0) return RangeError("uint");
  return Value::Uint(static_cast<uint64_t>(a[0].int_value()));
}
Value UintFromDouble(absl::Span<const Value> a) {
  double d = a[0].double_value();
  if (!(d >= 0 && d < kTwo64)) return RangeError("uint");
  return Value::Uint(static_cast<uint64_t>(d));
}
Value UintFromString(absl::Span<const Value> a) {
  uint64_t u;
  if (!ParseInteger(a[0].text(), &u)) return ParseError("uint", a[0].text());
  return Value::Uint(u);
}

Value DoubleFromInt(absl::Span<const Value> a) {
  return Value::Double(static_cast<double>(a[0].int_value()));
}
Value DoubleFromUint(absl::Span<const Value> a) {
  return Value::Double(static_cast<double>(a[0].uint_value()));
}
Value DoubleFromString(absl::Span<const Value> a) {
  std::string s(a[0].text());
  char* end = nullptr;
  double d = s.empty() || std::isspace(static_cast<unsigned char>(s[0]))
                 ? 0
                 : std::strtod(s.c_str(), &end);
  if (end == nullptr || end != s.c_str() + s.size()) return ParseError("double", s);
  return Value::Double(d);
}

Value StringFromInt(absl::Span<const Value> a) {
  return Value::String(absl::StrCat(a[0].int_value()));
}
Value StringFromUint(absl::Span<const Value> a) {
  return Value::String(absl::StrCat(a[0].uint_value()));
}
Value StringFromDouble(absl::Span<const Value> a) {
  return Value::String(FormatDouble(a[0].double_value()));
}
Value StringFromBytes(absl::Span<const Value> a) {
  if (!IsValidUtf8(a[0].text())) return Value::ErrorView("invalid UTF-8 in bytes");
  return Value::String(std::string(a[0].text()));
}
Value StringFromBool(absl::Span<const Value> a) {
  return Value::StringView(a[0].bool_value() ? "true" : "false");
}
Value PlainString(absl::Span<const Value> a) {
  return a[0].is_json_string() ? Value::StringView(a[0].text()) : a[0];
}

Value BytesFromString(absl::Span<const Value> a) { return Value::BytesView(a[0].text()); }

Value BoolFromString(absl::Span<const Value> a) {
  static constexpr std::string_view kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::string_view kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (std::string_view t : kTrue) {
    if (a[0].text() == t) return Value::Bool(true);
  }
  for (std::string_view f : kFalse) {
    if (a[0].text() == f) return Value::Bool(false);
  }
  return ParseError("bool", a[0].text());
}

Value TypeOf(absl::Span<const Value> a) { return Value::TypeView(KindName(a[0].kind())); }

constexpr CallStyle G = CallStyle::kGlobal;

const Overload kOverloads[] = {
    {"int", G, 1, {kInt}, kInt, Identity},
    {"int", G, 1, {kUint}, kInt, IntFromUint},
    {"int", G, 1, {kDouble}, kInt, IntFromDouble},
    {"int", G, 1, {kString}, kInt, IntFromString},
    {"uint", G, 1, {kUint}, kUint, Identity},
    {"uint", G, 1, {kInt}, kUint, UintFromInt},
    {"uint", G, 1, {kDouble}, kUint, UintFromDouble},
    {"uint", G, 1, {kString}, kUint, UintFromString},
    {"double", G, 1, {kDouble}, kDouble, Identity},
    {"double", G, 1, {kInt}, kDouble, DoubleFromInt},
    {"double", G, 1, {kUint}, kDouble, DoubleFromUint},
    {"double", G, 1, {kString}, kDouble, DoubleFromString},
    {"string", G, 1, {kString}, kString, PlainString},
    {"string", G, 1, {kInt}, kString, StringFromInt},
    {"string", G, 1, {kUint}, kString, StringFromUint},
    {"string", G, 1, {kDouble}, kString, StringFromDouble},
    {"string", G, 1, {kBytes}, kString, StringFromBytes},
    {"string", G, 1, {kBool}, kString, StringFromBool},
    {"bytes", G, 1, {kBytes}, kBytes, Identity},
    {"bytes", G, 1, {kString}, kBytes, BytesFromString},
    {"bool", G, 1, {kBool}, kBool, Identity},
    {"bool", G, 1, {kString}, kBool, BoolFromString},
    {"type", G, 1, {kAnyKind}, Mask(K::kType), TypeOf},
    {"dyn", G, 1, {kAnyKind}, kAnyKind, Identity},
};

}  // namespace

// Go's strconv.FormatFloat(d, 'g', -1, 64): the shortest digits that read back as `d`, in
// %e form when the exponent is < -4 or >= 6, else plain (cel-go's string(double)).
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, end);  // [-]d[.ddd]e[+-]dd
  size_t e = sci.find('e');
  int exponent = std::atoi(sci.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6) {
    std::string mantissa = sci.substr(0, e);
    std::string exp_digits = std::to_string(std::abs(exponent));
    if (exp_digits.size() < 2) exp_digits.insert(0, "0");
    return absl::StrCat(mantissa, "e", exponent < 0 ? "-" : "+", exp_digits);
  }
  auto [fixed_end, fixed_ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
  return std::string(buf, fixed_end);
}

absl::Span<const Overload> ConversionOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
