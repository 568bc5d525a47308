#include "src/query/cel/typed_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/query/cel/cel_time.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel {
namespace {

using json = nlohmann::json;
using K = ValueKind;

absl::Status Invalid(const std::string& what, const json& j) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid typed value (", what, "): ", j.dump(-1, ' ', true, json::error_handler_t::replace)));
}

absl::StatusOr<Value> FromInt(const json& j) {
  int64_t i;
  if (!j.is_string() || !absl::SimpleAtoi(j.get_ref<const std::string&>(), &i)) {
    return Invalid("int", j);
  }
  return Value::Int(i);
}

absl::StatusOr<Value> FromUint(const json& j) {
  uint64_t u;
  if (!j.is_string() || !absl::SimpleAtoi(j.get_ref<const std::string&>(), &u)) {
    return Invalid("uint", j);
  }
  return Value::Uint(u);
}

absl::StatusOr<Value> FromDouble(const json& j) {
  if (j.is_number()) return Value::Double(j.get<double>());
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "NaN") return Value::Double(std::numeric_limits<double>::quiet_NaN());
    if (s == "Infinity") return Value::Double(std::numeric_limits<double>::infinity());
    if (s == "-Infinity") return Value::Double(-std::numeric_limits<double>::infinity());
  }
  return Invalid("double", j);
}

absl::StatusOr<Value> FromString(const json& j) {
  if (!j.is_string()) return Invalid("string", j);
  return Value::String(j.get<std::string>());
}

absl::StatusOr<Value> FromBytes(const json& j) {
  std::string bytes;
  if (!j.is_string() || !absl::Base64Unescape(j.get_ref<const std::string&>(), &bytes)) {
    return Invalid("bytes", j);
  }
  return Value::Bytes(std::move(bytes));
}

absl::StatusOr<Value> FromBool(const json& j) {
  if (!j.is_boolean()) return Invalid("bool", j);
  return Value::Bool(j.get<bool>());
}

absl::StatusOr<Value> FromNull(const json& j) {
  if (!j.is_null()) return Invalid("null", j);
  return Value::Null();
}

absl::StatusOr<Value> FromList(const json& j) {
  if (!j.is_array()) return Invalid("list", j);
  std::vector<Value> elements;
  for (const json& e : j) {
    auto v = FromTypedJson(e);
    if (!v.ok()) return v.status();
    elements.push_back(std::move(*v));
  }
  return Value::List(std::move(elements));
}

absl::StatusOr<Value> FromMap(const json& j) {
  if (!j.is_array()) return Invalid("map", j);
  std::vector<std::pair<Value, Value>> entries;
  for (const json& e : j) {
    if (!e.is_array() || e.size() != 2) return Invalid("map entry", e);
    auto k = FromTypedJson(e[0]);
    if (!k.ok()) return k.status();
    auto v = FromTypedJson(e[1]);
    if (!v.ok()) return v.status();
    entries.emplace_back(std::move(*k), std::move(*v));
  }
  Value map = Value::Map(std::move(entries));
  if (map.is_error()) return Invalid(std::string(map.text()), j);
  return map;
}

absl::StatusOr<Value> FromTimeText(const json& j, Value (*parse)(std::string_view)) {
  if (!j.is_string()) return Invalid("time", j);
  Value v = parse(j.get_ref<const std::string&>());
  if (v.is_error()) return Invalid(std::string(v.text()), j);
  return v;
}

absl::StatusOr<Value> FromTimestamp(const json& j) { return FromTimeText(j, ParseTimestamp); }

// Durations are written as decimal seconds ("1.5s"), which Go syntax reads too.
absl::StatusOr<Value> FromDuration(const json& j) { return FromTimeText(j, ParseDuration); }

absl::StatusOr<Value> FromType(const json& j) {
  if (!j.is_string()) return Invalid("type", j);
  return Value::Type(j.get<std::string>());
}

struct Decoder {
  std::string_view key;
  absl::StatusOr<Value> (*decode)(const json&);
};

constexpr Decoder kDecoders[] = {
    {"int", FromInt},           {"uint", FromUint},
    {"double", FromDouble},     {"string", FromString},
    {"bytes", FromBytes},       {"bool", FromBool},
    {"null", FromNull},         {"list", FromList},
    {"map", FromMap},           {"timestamp", FromTimestamp},
    {"duration", FromDuration}, {"type", FromType},
};

// RFC 3339 with 0, 3, 6 or 9 fraction digits, as the conformance data writes timestamps.
std::string TimestampText(absl::Time t) {
  absl::Duration sub;
  absl::Time whole = absl::FromUnixSeconds(absl::ToUnixSeconds(t));
  sub = t - whole;
  int64_t nanos = absl::ToInt64Nanoseconds(sub);
  std::string out = absl::FormatTime("%E4Y-%m-%dT%H:%M:%S", whole, absl::UTCTimeZone());
  if (nanos != 0) {
    std::string frac = absl::StrCat(1000000000 + nanos).substr(1);
    while (frac.size() > 3 && frac.compare(frac.size() - 3, 3, "000") == 0)
      frac.resize(frac.size() - 3);
    absl::StrAppend(&out, ".", frac);
  }
  return out + "Z";
}

json DoubleJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

json TextJson(const Value& v) { return json(std::string(v.text())); }

}  // namespace

absl::StatusOr<Value> FromTypedJson(const json& j) {
  try {
    if (!j.is_object() || j.size() != 1) return Invalid("not a one-key object", j);
    const std::string& key = j.begin().key();
    for (const Decoder& d : kDecoders) {
      if (d.key == key) return d.decode(j.begin().value());
    }
    return Invalid(absl::StrCat("unsupported type '", key, "'"), j);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid typed value: ", e.what()));
  }
}

json ToTypedJson(const Value& value) {
  Value v = value.Resolved();
  switch (v.kind()) {
    case K::kNull:
      return {{"null", nullptr}};
    case K::kBool:
      return {{"bool", v.bool_value()}};
    case K::kInt:
      return {{"int", absl::StrCat(v.int_value())}};
    case K::kUint:
      return {{"uint", absl::StrCat(v.uint_value())}};
    case K::kDouble:
      return {{"double", DoubleJson(v.double_value())}};
    case K::kString:
      return {{"string", TextJson(v)}};
    case K::kBytes:
      return {{"bytes", absl::Base64Escape(ToAbsl(v.text()))}};
    case K::kTimestamp:
      return {{"timestamp", TimestampText(v.timestamp_value())}};
    case K::kDuration:
      return {{"duration", FormatCelDuration(v.duration_value())}};
    case K::kType:
      return {{"type", TextJson(v)}};
    case K::kList: {
      json list = json::array();
      for (const Value& e : v.list().elements()) list.push_back(ToTypedJson(e));
      return {{"list", std::move(list)}};
    }
    case K::kMap: {
      json map = json::array();
      for (const auto& [key, e] : v.map().entries()) {
        map.push_back(json::array({ToTypedJson(key), ToTypedJson(e)}));
      }
      return {{"map", std::move(map)}};
    }
    case K::kError:
    case K::kLazy:
      break;
  }
  return {{"error", TextJson(v)}};
}

bool TypedEqual(const Value& expected_in, const Value& actual_in) {
  Value expected = expected_in.Resolved(), actual = actual_in.Resolved();
  if (expected.kind() != actual.kind()) return false;
  switch (expected.kind()) {
    case K::kNull:
      return true;
    case K::kBool:
      return expected.bool_value() == actual.bool_value();
    case K::kInt:
      return expected.int_value() == actual.int_value();
    case K::kUint:
      return expected.uint_value() == actual.uint_value();
    case K::kDouble:
      return (std::isnan(expected.double_value()) && std::isnan(actual.double_value())) ||
             expected.double_value() == actual.double_value();
    case K::kString:
    case K::kBytes:
    case K::kType:
    case K::kError:
      return expected.text() == actual.text();
    case K::kTimestamp:
      return expected.timestamp_value() == actual.timestamp_value();
    case K::kDuration:
      return expected.duration_value() == actual.duration_value();
    case K::kList: {
      const ListValue &a = expected.list(), &b = actual.list();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!TypedEqual(a[i], b[i])) return false;
      }
      return true;
    }
    case K::kMap: {
      if (expected.map().size() != actual.map().size()) return false;
      for (const auto& [key, value] : expected.map().entries()) {
        bool found = false;
        for (const auto& [actual_key, actual_value] : actual.map().entries()) {
          if (TypedEqual(key, actual_key)) {
            found = TypedEqual(value, actual_value);
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    case K::kLazy:
      break;
  }
  return false;
}

absl::Status BindTypedValues(const nlohmann::json& bindings, Environment* env,
                             std::vector<Value>* values) {
  for (const auto& [name, typed] : bindings.items()) {
    absl::StatusOr<Value> value = FromTypedJson(typed);
    if (!value.ok()) return value.status();
    absl::StatusOr<int> slot = env->AddVariable(name, Type::Dyn());
    if (!slot.ok()) return slot.status();
    values->push_back(std::move(*value));
  }
  return absl::OkStatus();
}

}  // namespace runledger::cel
