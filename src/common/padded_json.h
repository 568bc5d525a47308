// PaddedCopy: a document copied into the padded buffer simdjson parses from, reusing one buffer
// per thread, so that parsing a record's JSON allocates nothing once the buffer has grown. The
// view is valid until the thread's next call.
#ifndef RUNLEDGER_COMMON_PADDED_JSON_H_
#define RUNLEDGER_COMMON_PADDED_JSON_H_

#include <algorithm>
#include <string_view>

#include "simdjson.h"

namespace runledger {

inline simdjson::padded_string_view PaddedCopy(std::string_view json) {
  thread_local simdjson::padded_string buffer;
  if (json.size() + simdjson::SIMDJSON_PADDING > buffer.size()) {
    buffer = simdjson::padded_string(json.size() * 2 + simdjson::SIMDJSON_PADDING);
  }
  std::copy(json.begin(), json.end(), buffer.data());
  return simdjson::padded_string_view(buffer.data(), json.size(), buffer.size());
}

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_PADDED_JSON_H_
