// Tolerant readers of Kubernetes JSON: a field of the wrong type reads as absent instead of
// throwing, so a malformed object from the wire can never abort a watch.
#ifndef RUNLEDGER_WATCHER_JSON_FIELDS_H_
#define RUNLEDGER_WATCHER_JSON_FIELDS_H_

#include <string>

#include "nlohmann/json.hpp"

namespace runledger::watcher {

// object[key] if `object` is an object and that is a string, else "".
std::string StringField(const nlohmann::json& object, const char* key);

// object["metadata"][key], read as StringField.
std::string MetadataField(const nlohmann::json& object, const char* key);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_JSON_FIELDS_H_
