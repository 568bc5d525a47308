// Protobuf helpers. Everything RunLedger stores is serialized deterministically (map entries in
// key order), so equal states have equal bytes: replay can be checked by comparing bytes.
#ifndef RUNLEDGER_COMMON_PROTO_UTIL_H_
#define RUNLEDGER_COMMON_PROTO_UTIL_H_

#include <string>

#include "google/protobuf/message_lite.h"

namespace runledger {

std::string SerializeDeterministic(const google::protobuf::MessageLite& message);

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_PROTO_UTIL_H_
