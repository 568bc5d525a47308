#include "src/query/cel/lexer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace runledger::cel {
namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }
bool IsQuote(char c) { return c == '"' || c == '\''; }

// Characters allowed between the backticks of an escaped identifier.
bool IsEscapedIdentChar(char c) {
  return IsIdentChar(c) || c == '.' || c == '-' || c == '/' || c == ' ';
}

bool IsSurrogate(uint32_t code_point) { return code_point >= 0xD800 && code_point <= 0xDFFF; }

// The value of `c` as a digit in `base` (8, 10 or 16), or -1.
int DigitValue(char c, int base) {
  int value = -1;
  if (IsDigit(c)) {
    value = c - '0';
  } else if (c >= 'a' && c <= 'f') {
    value = c - 'a' + 10;
  } else if (c >= 'A' && c <= 'F') {
    value = c - 'A' + 10;
  }
  return value < base ? value : -1;
}

// Decodes the UTF-8 sequence at s[pos] into *code_point. Returns its length, or 0 when the
// bytes there are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
// included).
size_t DecodeUtf8(std::string_view s, size_t pos, uint32_t* code_point) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  if ((lead & 0xC0) == 0x80 || (lead & 0xF8) == 0xF8) return 0;  // not a lead byte
  // The length of the sequence follows from the lead byte's high bits.
  const size_t length = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
  constexpr uint32_t kMinByLength[] = {0, 0, 0x80, 0x800, 0x10000};
  const uint32_t min = kMinByLength[length];
  *code_point = lead & (0x7F >> length);
  if (length > s.size() - pos) return 0;
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(s[pos + i]);
    if ((next & 0xC0) != 0x80) return 0;
    *code_point = (*code_point << 6) | (next & 0x3F);
  }
  const bool valid =
      *code_point >= min && *code_point <= kMaxCodePoint && !IsSurrogate(*code_point);
  return valid ? length : 0;
}

// The offset of the first byte of `s` that is not valid UTF-8, or npos.
size_t FindInvalidUtf8(std::string_view s) {
  uint32_t code_point = 0;
  for (size_t pos = 0; pos < s.size();) {
    const size_t length = DecodeUtf8(s, pos, &code_point);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
    return;
  }
  char buffer[4];
  size_t length = code_point < 0x800 ? 2 : code_point < 0x10000 ? 3 : 4;
  for (size_t i = length - 1; i > 0; --i) {
    buffer[i] = static_cast<char>(0x80 | (code_point & 0x3F));
    code_point >>= 6;
  }
  constexpr unsigned char kLeadBits[] = {0, 0, 0xC0, 0xE0, 0xF0};
  buffer[0] = static_cast<char>(kLeadBits[length] | code_point);
  out->append(buffer, length);
}

// The length of the exponent ([eE][+-]?DIGIT+) at s[pos], or 0 if there is none.
size_t ExponentLength(std::string_view s, size_t pos) {
  auto at = [s](size_t i) { return i < s.size() ? s[i] : '\0'; };
  if (at(pos) != 'e' && at(pos) != 'E') return 0;
  size_t end = pos + 1;
  if (at(end) == '+' || at(end) == '-') ++end;
  if (!IsDigit(at(end))) return 0;
  while (IsDigit(at(end))) ++end;
  return end - pos;
}

// Reads `count` digits in `base` starting at s[first] into *value; false if there are fewer.
bool ReadDigits(std::string_view s, size_t first, int count, int base, uint32_t* value) {
  if (count == 0 || first + count > s.size()) return false;
  *value = 0;
  for (int i = 0; i < count; ++i) {
    const int digit = DigitValue(s[first + i], base);
    if (digit < 0) return false;
    *value = *value * base + digit;
  }
  return true;
}

// The character that a one-letter escape such as \n stands for, or '\0' if `c` is not one.
char SimpleEscape(char c) {
  switch (c) {
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'v':
      return '\v';
    case '\\':
    case '\'':
    case '"':
    case '`':
    case '?':
      return c;
    default:
      return '\0';
  }
}

// How a character shows in an error message: 'c' when printable ASCII, else U+XXXX.
std::string DescribeCharacter(std::string_view source, size_t pos) {
  uint32_t code_point = 0;
  DecodeUtf8(source, pos, &code_point);  // the source was validated when the lexer started
  if (code_point > ' ' && code_point < 0x7F) {
    return absl::StrCat("'", std::string(1, static_cast<char>(code_point)), "'");
  }
  return absl::StrFormat("U+%04X", code_point);
}

struct Punctuation {
  std::string_view text;
  TokenKind kind;
};

// Two-character operators come first so that they win over their one-character prefixes.
constexpr Punctuation kPunctuation[] = {
    {"<=", TokenKind::kLessEqual}, {">=", TokenKind::kGreaterEqual}, {"==", TokenKind::kEqual},
    {"!=", TokenKind::kNotEqual},  {"&&", TokenKind::kAnd},          {"||", TokenKind::kOr},
    {"(", TokenKind::kLParen},     {")", TokenKind::kRParen},        {"[", TokenKind::kLBracket},
    {"]", TokenKind::kRBracket},   {"{", TokenKind::kLBrace},        {"}", TokenKind::kRBrace},
    {".", TokenKind::kDot},        {",", TokenKind::kComma},         {":", TokenKind::kColon},
    {"?", TokenKind::kQuestion},   {"!", TokenKind::kNot},           {"+", TokenKind::kPlus},
    {"-", TokenKind::kMinus},      {"*", TokenKind::kStar},          {"/", TokenKind::kSlash},
    {"%", TokenKind::kPercent},    {"<", TokenKind::kLess},          {">", TokenKind::kGreater},
};

TokenKind WordKind(std::string_view word) {
  if (word == "true") return TokenKind::kTrue;
  if (word == "false") return TokenKind::kFalse;
  if (word == "null") return TokenKind::kNull;
  if (word == "in") return TokenKind::kIn;
  return TokenKind::kIdent;
}

}  // namespace

Lexer::Lexer(std::string_view source) : source_(source) {
  if (const size_t invalid = FindInvalidUtf8(source); invalid != std::string_view::npos) {
    Fail(invalid, "invalid UTF-8");
  }
}

Token Lexer::Next() {
  if (error_.has_value()) return *error_;
  SkipWhitespaceAndComments();
  const size_t start = pos_;
  if (start >= source_.size()) return Make(TokenKind::kEnd, start);
  const char c = source_[start];
  if (IsDigit(c) || (c == '.' && IsDigit(At(start + 1)))) return LexNumber(start);
  if (IsIdentStart(c)) return LexWord(start);
  if (IsQuote(c)) return LexQuoted(start, start, /*raw=*/false, /*bytes=*/false);
  if (c == '`') return LexEscapedIdent(start);
  return LexPunctuation(start);
}

void Lexer::SkipWhitespaceAndComments() {
  while (pos_ < source_.size()) {
    const char c = source_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      ++pos_;
    } else if (c == '/' && At(pos_ + 1) == '/') {
      pos_ = std::min(source_.find_first_of("\r\n", pos_), source_.size());
    } else {
      return;
    }
  }
}

Token Lexer::LexNumber(size_t start) {
  if (At(start) == '0' && At(start + 1) == 'x' && DigitValue(At(start + 2), 16) >= 0) {
    return LexInteger(start, start + 2, 16);
  }
  size_t end = start;
  while (IsDigit(At(end))) ++end;
  const bool has_fraction = At(end) == '.' && IsDigit(At(end + 1));
  if (has_fraction || ExponentLength(source_, end) > 0) return LexDouble(start);
  return LexInteger(start, start, 10);
}

Token Lexer::LexDouble(size_t start) {
  size_t end = start;
  while (IsDigit(At(end))) ++end;
  if (At(end) == '.' && IsDigit(At(end + 1))) {
    ++end;
    while (IsDigit(At(end))) ++end;
  }
  pos_ = end + ExponentLength(source_, end);
  Token token = Make(TokenKind::kDouble, start);
  const absl::string_view text(token.text.data(), token.text.size());
  if (!absl::SimpleAtod(text, &token.double_value) || std::isinf(token.double_value)) {
    return Fail(start, "double literal out of range");
  }
  return token;
}

Token Lexer::LexInteger(size_t start, size_t digits_begin, int base) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t value = 0;
  bool overflow = false;
  size_t end = digits_begin;
  for (int digit; (digit = DigitValue(At(end), base)) >= 0; ++end) {
    overflow = overflow || value > (kMax - digit) / base;
    value = value * base + digit;
  }
  const bool is_uint = At(end) == 'u' || At(end) == 'U';
  pos_ = is_uint ? end + 1 : end;
  if (overflow)
    return Fail(start, is_uint ? "uint literal out of range" : "int literal out of range");
  Token token = Make(is_uint ? TokenKind::kUint : TokenKind::kInt, start);
  token.int_value = value;
  return token;
}

Token Lexer::LexWord(size_t start) {
  // A string or bytes literal may have a prefix: r, b, rb or br, in either case.
  bool raw = false;
  bool bytes = false;
  size_t quote = start;
  for (; quote < start + 2; ++quote) {
    const char c = absl::ascii_tolower(At(quote));
    if (c == 'r' && !raw) {
      raw = true;
    } else if (c == 'b' && !bytes) {
      bytes = true;
    } else {
      break;
    }
  }
  if (quote > start && IsQuote(At(quote))) return LexQuoted(start, quote, raw, bytes);
  size_t end = start;
  while (IsIdentChar(At(end))) ++end;
  pos_ = end;
  return Make(WordKind(source_.substr(start, end - start)), start);
}

Token Lexer::LexQuoted(size_t start, size_t quote, bool raw, bool bytes) {
  const char q = source_[quote];
  const bool triple = At(quote + 1) == q && At(quote + 2) == q;
  const size_t delimiter_length = triple ? 3 : 1;
  std::string value;
  size_t pos = quote + delimiter_length;
  while (true) {
    if (pos >= source_.size()) return Fail(start, "unterminated string literal");
    const char c = source_[pos];
    if (c == q && (!triple || (At(pos + 1) == q && At(pos + 2) == q))) break;
    if (!triple && (c == '\n' || c == '\r')) return Fail(start, "unterminated string literal");
    // A backslash that ends the source is kept as text; the loop then reports the string as
    // unterminated.
    if (c == '\\' && !raw && pos + 1 < source_.size()) {
      if (!DecodeEscape(&pos, bytes, &value)) return *error_;
    } else {
      value.push_back(c);
      ++pos;
    }
  }
  pos_ = pos + delimiter_length;
  Token token = Make(bytes ? TokenKind::kBytes : TokenKind::kString, start);
  token.string_value = std::move(value);
  return token;
}

bool Lexer::DecodeEscape(size_t* pos, bool bytes, std::string* out) {
  const size_t backslash = *pos;
  const char c = At(backslash + 1);
  if (const char simple = SimpleEscape(c); simple != '\0') {
    out->push_back(simple);
    *pos = backslash + 2;
    return true;
  }
  if (bytes && (c == 'u' || c == 'U')) {
    Fail(backslash, "unicode escape sequence in bytes literal");
    return false;
  }
  // Octal escapes are three digits including `c`; the others are a letter and hex digits.
  const bool octal = c >= '0' && c <= '3';
  const size_t first = octal ? backslash + 1 : backslash + 2;
  const int base = octal ? 8 : 16;
  int count = 0;
  if (octal) {
    count = 3;
  } else if (c == 'x' || c == 'X') {
    count = 2;
  } else if (c == 'u' || c == 'U') {
    count = c == 'u' ? 4 : 8;
  }
  uint32_t value = 0;
  if (!ReadDigits(source_, first, count, base, &value)) {
    const bool printable = c > ' ' && c < 0x7F;
    Fail(backslash, printable ? absl::StrCat("invalid escape sequence '\\", std::string(1, c), "'")
                              : std::string("invalid escape sequence"));
    return false;
  }
  *pos = first + count;
  if (bytes) {
    out->push_back(static_cast<char>(value));  // octal and \x escapes are at most 0xFF
  } else if (value > kMaxCodePoint || IsSurrogate(value)) {
    Fail(backslash, "invalid code point in escape sequence");
    return false;
  } else {
    AppendUtf8(value, out);
  }
  return true;
}

Token Lexer::LexEscapedIdent(size_t start) {
  size_t end = start + 1;
  while (IsEscapedIdentChar(At(end))) ++end;
  if (end == start + 1 || At(end) != '`') return Fail(start, "invalid escaped identifier");
  pos_ = end + 1;
  Token token = Make(TokenKind::kEscapedIdent, start);
  token.string_value = std::string(source_.substr(start + 1, end - start - 1));
  return token;
}

Token Lexer::LexPunctuation(size_t start) {
  for (const Punctuation& punctuation : kPunctuation) {
    if (source_.substr(start, punctuation.text.size()) == punctuation.text) {
      pos_ = start + punctuation.text.size();
      return Make(punctuation.kind, start);
    }
  }
  return Fail(start, absl::StrCat("unexpected character ", DescribeCharacter(source_, start)));
}

Token Lexer::Make(TokenKind kind, size_t start) const {
  Token token;
  token.kind = kind;
  token.offset = static_cast<int32_t>(start);
  token.text = source_.substr(start, pos_ - start);
  return token;
}

Token Lexer::Fail(size_t offset, std::string reason) {
  Token token;
  token.kind = TokenKind::kError;
  token.offset = static_cast<int32_t>(offset);
  token.string_value = std::move(reason);
  error_ = std::move(token);
  return *error_;
}

}  // namespace runledger::cel
