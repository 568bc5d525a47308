// UTF-8 text helpers for CEL's string functions: CEL counts and indexes strings in code
// points, and its regular expressions are RE2.
#ifndef RUNLEDGER_QUERY_CEL_STRINGS_H_
#define RUNLEDGER_QUERY_CEL_STRINGS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "re2/re2.h"
#include "src/query/cel/value.h"

namespace runledger::cel {

// Code points in `s` (which is assumed to be valid UTF-8).
int64_t CodePointCount(std::string_view s);

// Byte offset of code point `index` in `s`, or s.size() when index == count; -1 if beyond.
int64_t CodePointOffset(std::string_view s, int64_t index);

// Whether `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

inline re2::StringPiece ToRe2(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

// Whether `re` matches somewhere in `text`; an error Value if `re` did not compile.
Value MatchRegex(const RE2& re, std::string_view text);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_STRINGS_H_
