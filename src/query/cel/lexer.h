// The lexer of CEL (cel-spec langdef.md, "Syntax": the lexis). It turns source text into
// tokens one at a time, skipping whitespace and `//` comments, and decodes literals as it goes:
// string and bytes literals arrive with their escapes processed, numbers with their values.
//
// Invariants:
// - Every token's offset is the byte offset of its first character in the source, and its text
//   is the slice of the source it spans.
// - Lexing is linear in the length of the source and never reads outside it.
// - The first lexical error (including invalid UTF-8 anywhere in the source) ends the stream:
//   from then on Next() returns the same kError token, whose offset is where the problem is.
// - Reserved words other than true, false, null and in are ordinary kIdent tokens; the parser
//   decides where they are allowed (they may follow a '.').
#ifndef RUNLEDGER_QUERY_CEL_LEXER_H_
#define RUNLEDGER_QUERY_CEL_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runledger::cel {

enum class TokenKind {
  kEnd,    // end of the source
  kError,  // a lexical error; string_value holds the reason
  kIdent,
  kEscapedIdent,  // `a-b.c`, allowed as a field name; string_value holds the name
  kInt,           // int_value holds the magnitude, which may exceed INT64_MAX
  kUint,
  kDouble,
  kString,  // string_value holds the decoded text (valid UTF-8)
  kBytes,   // string_value holds the decoded bytes
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kNot,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kEqual,
  kNotEqual,
  kAnd,
  kOr,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  int32_t offset = 0;     // byte offset of the token (of the problem, for kError)
  std::string_view text;  // the token's source text; empty for kEnd and kError
  uint64_t int_value = 0;
  double double_value = 0;
  std::string string_value;
};

class Lexer {
 public:
  // `source` must outlive the lexer and be shorter than 2^31 bytes.
  explicit Lexer(std::string_view source);

  // Returns the next token; kEnd (repeatedly) at the end, kError (repeatedly) after an error.
  Token Next();

 private:
  void SkipWhitespaceAndComments();
  Token LexNumber(size_t start);
  Token LexDouble(size_t start);
  Token LexInteger(size_t start, size_t digits_begin, int base);
  Token LexWord(size_t start);
  Token LexQuoted(size_t start, size_t quote, bool raw, bool bytes);
  bool DecodeEscape(size_t* pos, bool bytes, std::string* out);
  Token LexEscapedIdent(size_t start);
  Token LexPunctuation(size_t start);

  // The character at `pos`, or '\0' past the end (callers never treat '\0' as a match).
  char At(size_t pos) const { return pos < source_.size() ? source_[pos] : '\0'; }
  // A token of `kind` spanning [start, pos_).
  Token Make(TokenKind kind, size_t start) const;
  // Records the lexical error (the stream ends) and returns it.
  Token Fail(size_t offset, std::string reason);

  std::string_view source_;
  size_t pos_ = 0;
  std::optional<Token> error_;
};

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_LEXER_H_
