// std::string_view <-> absl::string_view. Debian's abseil keeps its own string_view type, so
// the CEL code, whose APIs use std::string_view, converts at calls into abseil.
#ifndef RUNLEDGER_QUERY_CEL_STRING_VIEW_COMPAT_H_
#define RUNLEDGER_QUERY_CEL_STRING_VIEW_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace runledger::cel {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view FromAbsl(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_STRING_VIEW_COMPAT_H_
