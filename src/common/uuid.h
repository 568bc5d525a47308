// Random (version 4) UUIDs in the canonical lowercase, hyphenated form, as upstream issues for
// Result and Record uids.
#ifndef RUNLEDGER_COMMON_UUID_H_
#define RUNLEDGER_COMMON_UUID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace runledger {

std::string NewUuid();

// The 16 bytes of a canonical (lowercase, hyphenated) UUID; byte order equals the text's order.
// Returns false, appending nothing, if `uuid` is not canonical.
bool AppendUuidBytes(absl::string_view uuid, std::string* out);
// The canonical text of 16 UUID bytes.
std::string UuidFromBytes(absl::string_view bytes);

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_UUID_H_
