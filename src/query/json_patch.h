// JsonPatch: the RFC 6902 JSON Patch between two JSON documents parsed by simdjson, as JSON text,
// computed by walking the two DOM trees side by side. Its output is byte for byte what
// nlohmann::json::diff(before, after).dump() writes for the same documents converted with
// ToNlohmann (object keys in sorted order, the last of duplicate keys winning; numbers equal
// across integer and floating types), without building the nlohmann trees: only the values the
// patch carries are converted.
#ifndef RUNLEDGER_QUERY_JSON_PATCH_H_
#define RUNLEDGER_QUERY_JSON_PATCH_H_

#include <string>

#include "nlohmann/json.hpp"
#include "simdjson.h"

namespace runledger {

// `element` as nlohmann::json: signed integers as number_integer, integers beyond int64 as
// number_unsigned, other numbers as number_float; of duplicate keys, the last.
nlohmann::json ToNlohmann(simdjson::dom::element element);

// The JSON Patch from `before` to `after`, as JSON text.
std::string JsonPatch(simdjson::dom::element before, simdjson::dom::element after);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_JSON_PATCH_H_
