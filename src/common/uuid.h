// Random (version 4) UUIDs in the canonical lowercase, hyphenated form, as upstream issues for
// Result and Record uids.
#ifndef RUNLEDGER_COMMON_UUID_H_
#define RUNLEDGER_COMMON_UUID_H_

#include <string>

namespace runledger {

std::string NewUuid();

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_UUID_H_
