// string.format(list) of the strings extension (cel-go ext.Strings): %s (any value), %d
// (integers), %f and %e (numbers, with an optional .precision), %b, %o, %x and %X (integers;
// %x/%X also strings and bytes) and %% for a percent sign. Doubles that are NaN or infinite print
// as NaN, Infinity and -Infinity under %d, %f and %e.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/query/cel/cel_time.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

Value FormatError(std::string_view clause, std::string_view what) {
  return Value::Error(
      absl::StrCat("error during formatting: ", ToAbsl(clause), " clause ", ToAbsl(what)));
}

// NaN, Infinity or -Infinity; false for finite numbers.
bool NonFinite(double d, std::string* out) {
  if (std::isfinite(d)) return false;
  *out = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  return true;
}

std::string ShortestDouble(double d) {
  std::string out;
  return NonFinite(d, &out) ? out : FormatDouble(d);
}

bool AsString(const Value& v, std::string* out);

// The %s text of a list or map (maps with their entries ordered by the text of the keys).
bool AsContainerString(const Value& v, std::string* out) {
  std::vector<std::string> parts;
  if (v.is(K::kList)) {
    for (const Value& e : v.list().elements()) {
      if (!AsString(e.Resolved(), &parts.emplace_back())) return false;
    }
    *out = absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    return true;
  }
  for (const auto& [key, value] : v.map().entries()) {
    std::string k, e;
    if (!AsString(key, &k) || !AsString(value.Resolved(), &e)) return false;
    parts.push_back(absl::StrCat(k, ": ", e));
  }
  std::sort(parts.begin(), parts.end());
  *out = absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
  return true;
}

bool AsString(const Value& v, std::string* out) {
  switch (v.kind()) {
    case K::kNull:
      *out = "null";
      return true;
    case K::kBool:
      *out = v.bool_value() ? "true" : "false";
      return true;
    case K::kInt:
      *out = absl::StrCat(v.int_value());
      return true;
    case K::kUint:
      *out = absl::StrCat(v.uint_value());
      return true;
    case K::kDouble:
      *out = ShortestDouble(v.double_value());
      return true;
    case K::kString:
    case K::kBytes:
    case K::kType:
      *out = std::string(v.text());
      return true;
    case K::kTimestamp:
      *out = FormatCelTimestamp(v.timestamp_value());
      return true;
    case K::kDuration:
      *out = FormatCelDuration(v.duration_value());
      return true;
    case K::kList:
    case K::kMap:
      return AsContainerString(v, out);
    default:
      return false;
  }
}

// An integer in base 2, 8 or 16 (upper-case digits with `upper`), with a '-' when negative.
std::string InBase(bool negative, uint64_t magnitude, int base, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  do {
    out.push_back(digits[magnitude % base]);
    magnitude /= base;
  } while (magnitude != 0);
  if (negative) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

Value Integral(const Value& v, char verb, std::string* out) {
  const int base = verb == 'b' ? 2 : verb == 'o' ? 8 : 16;
  const bool upper = verb == 'X';
  switch (v.kind()) {
    case K::kInt: {
      int64_t i = v.int_value();
      uint64_t magnitude = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      *out = verb == 'd' ? absl::StrCat(i) : InBase(i < 0, magnitude, base, upper);
      return Value();
    }
    case K::kUint:
      *out =
          verb == 'd' ? absl::StrCat(v.uint_value()) : InBase(false, v.uint_value(), base, upper);
      return Value();
    case K::kBool:
      if (verb != 'b') break;
      *out = v.bool_value() ? "1" : "0";
      return Value();
    case K::kString:
    case K::kBytes:
      if (base != 16) break;
      for (unsigned char c : v.text()) absl::StrAppend(out, absl::Hex(c, absl::kZeroPad2));
      if (upper) absl::AsciiStrToUpper(out);
      return Value();
    case K::kDouble:
      if (verb == 'd' && NonFinite(v.double_value(), out)) return Value();
      break;
    default:
      break;
  }
  const char* clause = verb == 'd' ? "decimal" : verb == 'o' ? "octal" : "integer";
  return FormatError(clause, absl::StrCat("cannot format ", ToAbsl(KindName(v.kind()))));
}

Value Floating(const Value& v, char verb, int precision, std::string* out) {
  double d;
  if (v.is(K::kDouble)) {
    d = v.double_value();
  } else if (v.is(K::kInt)) {
    d = static_cast<double>(v.int_value());
  } else if (v.is(K::kUint)) {
    d = static_cast<double>(v.uint_value());
  } else {
    return FormatError(verb == 'f' ? "fixed-point" : "scientific",
                       absl::StrCat("cannot format ", ToAbsl(KindName(v.kind()))));
  }
  if (NonFinite(d, out)) return Value();
  *out =
      verb == 'f' ? absl::StrFormat("%.*f", precision, d) : absl::StrFormat("%.*e", precision, d);
  return Value();
}

// Formats one clause (`verb` with `precision`, -1 for the default) of argument `v`.
Value FormatClause(char verb, int precision, const Value& v, std::string* out) {
  switch (verb) {
    case 's':
      if (!AsString(v, out)) return FormatError("string", "cannot format this value");
      return Value();
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X':
      return Integral(v, verb, out);
    case 'f':
    case 'e':
      return Floating(v, verb, precision < 0 ? 6 : precision, out);
    default:
      return Value::Error(
          absl::StrCat("could not parse formatting clause: unrecognized formatting clause \"",
                       std::string(1, verb), "\""));
  }
}

Value Format(absl::Span<const Value> a) {
  std::string_view f = a[0].text();
  const ListValue& args = a[1].list();
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out.push_back(f[i]);
      continue;
    }
    if (++i < f.size() && f[i] == '%') {
      out.push_back('%');
      continue;
    }
    int precision = -1;
    if (i < f.size() && f[i] == '.') {
      precision = 0;
      while (++i < f.size() && f[i] >= '0' && f[i] <= '9' && precision < 1000) {
        precision = precision * 10 + (f[i] - '0');
      }
    }
    if (i >= f.size()) return Value::ErrorView("could not parse formatting clause: unexpected end");
    if (next >= args.size()) return Value::Error(absl::StrCat("index ", next, " out of range"));
    std::string text;
    Value error = FormatClause(f[i], precision, args[next++].Resolved(), &text);
    if (error.is_error()) return error;
    out += text;
    if (out.size() > kMaxBuiltSize) return Value::ErrorView("string too long");
  }
  return Value::String(std::move(out));
}

const Overload kOverloads[] = {
    {"format",
     CallStyle::kReceiver,
     2,
     {Mask(K::kString), Mask(K::kList)},
     Mask(K::kString),
     Format},
};

}  // namespace

absl::Span<const Overload> FormatExtOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
