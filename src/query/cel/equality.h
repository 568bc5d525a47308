// CEL's heterogeneous equality and its ordering of values.
//
// Numbers compare by value across int, uint and double (1 == 1u == 1.0, 2 < 2.5) and NaN
// equals and orders with nothing; lists and maps compare deeply; values of different types are
// unequal rather than an error. A string read from JSON compared with a timestamp is read as
// an RFC 3339 timestamp (an error if it is not one).
#ifndef RUNLEDGER_QUERY_CEL_EQUALITY_H_
#define RUNLEDGER_QUERY_CEL_EQUALITY_H_

#include "src/query/cel/value.h"

namespace runledger::cel {

// A bool, or the error of an operand (or of a JSON string that is no timestamp).
Value Equal(const Value& a, const Value& b);

enum class Ordering : int8_t { kLess, kEqual, kGreater, kUnordered, kIncomparable };

// The order of two values of the same ordered type (numbers across int/uint/double, strings
// by code point, bytes, bools, timestamps, durations); kUnordered when NaN is involved;
// kIncomparable for types that have no order or do not match. No JSON-string coercion.
Ordering Compare(const Value& a, const Value& b);

// If exactly one of `a`, `b` is a JSON string and the other a timestamp, parses the JSON
// string in place. Returns false (and sets `error`) if it is not a timestamp.
bool CoerceJsonTimestamp(Value* a, Value* b, Value* error);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_EQUALITY_H_
