// The strings extension (cel-go ext.Strings): charAt, indexOf, lastIndexOf, lowerAscii,
// upperAscii, replace, split, substring, trim, join, reverse and strings.quote. Indexes count
// code points; an index outside the string is an error. (format is not implemented.)
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/string_view_compat.h"
#include "src/query/cel/strings.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

Value OutOfRange(int64_t index) {
  return Value::Error(absl::StrCat("index out of range: ", index));
}

// Byte offset of code point `index` of `s`, or -1 (and `*error` set) when outside [0, size].
int64_t OffsetOrError(std::string_view s, int64_t index, Value* error) {
  int64_t offset = CodePointOffset(s, index);
  if (offset < 0) *error = OutOfRange(index);
  return offset;
}

Value CharAt(absl::Span<const Value> a) {
  std::string_view s = a[0].text();
  Value error;
  int64_t start = OffsetOrError(s, a[1].int_value(), &error);
  if (start < 0) return error;
  int64_t end = CodePointOffset(s.substr(start), 1);
  return Value::String(std::string(s.substr(start, end < 0 ? 0 : end)));
}

// indexOf(sub[, start]): the code point index of the first match at or after start, or -1.
Value IndexOf(absl::Span<const Value> a) {
  std::string_view s = a[0].text(), sub = a[1].text();
  int64_t from = a.size() == 3 ? a[2].int_value() : 0;
  Value error;
  int64_t offset = OffsetOrError(s, from, &error);
  if (offset < 0) return error;
  size_t found = s.find(sub, offset);
  if (found == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointCount(s.substr(0, found)));
}

// lastIndexOf(sub[, start]): the code point index of the last match starting at or before
// start (default: the end), or -1.
Value LastIndexOf(absl::Span<const Value> a) {
  std::string_view s = a[0].text(), sub = a[1].text();
  int64_t from = a.size() == 3 ? a[2].int_value() : CodePointCount(s);
  Value error;
  int64_t offset = OffsetOrError(s, from, &error);
  if (offset < 0) return error;
  size_t found = s.rfind(sub, offset);
  if (found == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointCount(s.substr(0, found)));
}

Value LowerAscii(absl::Span<const Value> a) {
  return Value::String(absl::AsciiStrToLower(ToAbsl(a[0].text())));
}
Value UpperAscii(absl::Span<const Value> a) {
  return Value::String(absl::AsciiStrToUpper(ToAbsl(a[0].text())));
}

// replace(old, new[, n]): the first n (all when n < 0) non-overlapping occurrences replaced.
Value Replace(absl::Span<const Value> a) {
  std::string_view s = a[0].text(), from = a[1].text(), to = a[2].text();
  int64_t n = a.size() == 4 ? a[3].int_value() : -1;
  std::string out;
  size_t pos = 0;
  for (int64_t done = 0; n < 0 || done < n; ++done) {
    size_t found = s.find(from, pos);
    if (found == std::string_view::npos) break;
    out.append(s.substr(pos, found - pos)).append(to);
    if (out.size() > kMaxBuiltSize) return Value::ErrorView("string too long");
    pos = found + from.size();
    if (from.empty()) {  // between code points, like Go's strings.Replace
      if (pos >= s.size()) break;
      int64_t step = CodePointOffset(s.substr(pos), 1);
      out.append(s.substr(pos, step));
      pos += step;
    }
  }
  out.append(s.substr(std::min(pos, s.size())));
  return Value::String(std::move(out));
}

// split(sep[, n]): like Go's strings.SplitN (n == 0: none; n < 0: all; else at most n parts).
Value Split(absl::Span<const Value> a) {
  std::string_view s = a[0].text(), sep = a[1].text();
  int64_t n = a.size() == 3 ? a[2].int_value() : -1;
  std::vector<Value> parts;
  while (n != 0 && (n < 0 || static_cast<int64_t>(parts.size()) < n - 1) && !s.empty()) {
    size_t cut = sep.empty() ? CodePointOffset(s, 1) : s.find(sep);
    if (cut == std::string_view::npos || parts.size() >= kMaxListSize) break;
    parts.push_back(Value::String(std::string(s.substr(0, cut))));
    s.remove_prefix(std::min(s.size(), cut + sep.size()));
    if (sep.empty() && s.empty()) return Value::List(std::move(parts));
  }
  if (n != 0) parts.push_back(Value::String(std::string(s)));
  return Value::List(std::move(parts));
}

Value Substring(absl::Span<const Value> a) {
  std::string_view s = a[0].text();
  Value error;
  int64_t start = OffsetOrError(s, a[1].int_value(), &error);
  if (start < 0) return error;
  int64_t end = static_cast<int64_t>(s.size());
  if (a.size() == 3) {
    end = OffsetOrError(s, a[2].int_value(), &error);
    if (end < 0) return error;
    if (a[2].int_value() < a[1].int_value()) {
      return Value::Error(absl::StrCat("invalid substring range. start: ", a[1].int_value(),
                                       ", end: ", a[2].int_value()));
    }
  }
  return Value::String(std::string(s.substr(start, end - start)));
}

// Unicode white space (Go's unicode.IsSpace), as UTF-8.
bool IsSpaceAt(std::string_view s, size_t* width) {
  static constexpr std::string_view kSpaces[] = {" ",
                                                 "\t",
                                                 "\n",
                                                 "\v",
                                                 "\f",
                                                 "\r",
                                                 "\xC2\x85",
                                                 "\xC2\xA0",
                                                 "\xE1\x9A\x80",
                                                 "\xE2\x80\xA8",
                                                 "\xE2\x80\xA9",
                                                 "\xE2\x80\xAF",
                                                 "\xE2\x81\x9F",
                                                 "\xE3\x80\x80"};
  for (std::string_view space : kSpaces) {
    if (s.substr(0, space.size()) == space) {
      *width = space.size();
      return true;
    }
  }
  // U+2000 .. U+200A
  if (s.size() >= 3 && s[0] == '\xE2' && s[1] == '\x80' &&
      static_cast<unsigned char>(s[2]) >= 0x80 && static_cast<unsigned char>(s[2]) <= 0x8A) {
    *width = 3;
    return true;
  }
  return false;
}

Value Trim(absl::Span<const Value> a) {
  std::string_view s = a[0].text();
  size_t width = 0;
  while (!s.empty() && IsSpaceAt(s, &width)) s.remove_prefix(width);
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    if (!IsSpaceAt(s.substr(start), &width) || start + width != s.size()) break;
    s.remove_suffix(width);
  }
  return Value::String(std::string(s));
}

Value Join(absl::Span<const Value> a) {
  std::string_view sep = a.size() == 2 ? a[1].text() : std::string_view();
  std::string out;
  const ListValue& list = a[0].list();
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is(K::kString)) return NoSuchOverload("join", absl::MakeConstSpan(&list[i], 1));
    if (i > 0) out.append(sep);
    out.append(list[i].text());
    if (out.size() > kMaxBuiltSize) return Value::ErrorView("string too long");
  }
  return Value::String(std::move(out));
}

Value Reverse(absl::Span<const Value> a) {
  std::string_view s = a[0].text();
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    out.append(s.substr(start));
    s.remove_suffix(s.size() - start);
  }
  return Value::String(std::move(out));
}

// strings.quote(s): a double-quoted CEL string literal for s.
Value Quote(absl::Span<const Value> a) {
  std::string out = "\"";
  for (char c : a[0].text()) {
    switch (c) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        out += c;
    }
  }
  out += "\"";
  return Value::String(std::move(out));
}

constexpr CallStyle R = CallStyle::kReceiver;
constexpr CallStyle G = CallStyle::kGlobal;

const Overload kOverloads[] = {
    {"charAt", R, 2, {kString, kInt}, kString, CharAt},
    {"indexOf", R, 2, {kString, kString}, kInt, IndexOf},
    {"indexOf", R, 3, {kString, kString, kInt}, kInt, IndexOf},
    {"lastIndexOf", R, 2, {kString, kString}, kInt, LastIndexOf},
    {"lastIndexOf", R, 3, {kString, kString, kInt}, kInt, LastIndexOf},
    {"lowerAscii", R, 1, {kString}, kString, LowerAscii},
    {"upperAscii", R, 1, {kString}, kString, UpperAscii},
    {"replace", R, 3, {kString, kString, kString}, kString, Replace},
    {"replace", R, 4, {kString, kString, kString, kInt}, kString, Replace},
    {"split", R, 2, {kString, kString}, kList, Split},
    {"split", R, 3, {kString, kString, kInt}, kList, Split},
    {"substring", R, 2, {kString, kInt}, kString, Substring},
    {"substring", R, 3, {kString, kInt, kInt}, kString, Substring},
    {"trim", R, 1, {kString}, kString, Trim},
    {"join", R, 1, {kList}, kString, Join},
    {"join", R, 2, {kList, kString}, kString, Join},
    {"reverse", R, 1, {kString}, kString, Reverse},
    {"strings.quote", G, 1, {kString}, kString, Quote},
};

}  // namespace

absl::Span<const Overload> StringExtOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
