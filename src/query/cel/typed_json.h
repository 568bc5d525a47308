// Typed JSON: CEL values written as one-key JSON objects whose key is the CEL type, as the
// conformance data (and `runledger cel eval`) use them:
//   {"int": "-1"}  {"uint": "1"}  {"double": 1.5 | "NaN" | "Infinity" | "-Infinity"}
//   {"string": "s"}  {"bytes": "<base64>"}  {"bool": true}  {"null": null}
//   {"list": [TYPED...]}  {"map": [[KEY, VALUE]...]}  {"type": "int"}
//   {"timestamp": "2009-02-13T23:31:30Z"}  {"duration": "1.5s"}
// Invariant: ToTypedJson(FromTypedJson(j)) describes the same value as j; values read are
// self-contained (they borrow nothing).
#ifndef RUNLEDGER_QUERY_CEL_TYPED_JSON_H_
#define RUNLEDGER_QUERY_CEL_TYPED_JSON_H_

#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "src/query/cel/types.h"
#include "src/query/cel/value.h"

namespace runledger::cel {

// The value `j` encodes. InvalidArgument if it is not a typed value this runtime supports
// (protobuf messages and enums are not).
absl::StatusOr<Value> FromTypedJson(const nlohmann::json& j);

// The encoding of `v` (lazy values resolved). An error value becomes {"error": "message"}.
nlohmann::json ToTypedJson(const Value& v);

// Declares each member of `bindings` (an object of typed values) as a dyn variable of `env` and
// appends its value to `values`, in slot order.
absl::Status BindTypedValues(const nlohmann::json& bindings, Environment* env,
                             std::vector<Value>* values);

// Whether `actual` has the type of `expected` and equals it, the way conformance results are
// compared: NaN matches NaN, lists in order, maps as sets of entries, keys and elements by the
// same typed rule (so 1 and 1u differ).
bool TypedEqual(const Value& expected, const Value& actual);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_TYPED_JSON_H_
