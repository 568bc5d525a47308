#include "src/watcher/json_fields.h"

namespace runledger::watcher {

std::string StringField(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string MetadataField(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto metadata = object.find("metadata");
  return metadata == object.end() ? "" : StringField(*metadata, key);
}

}  // namespace runledger::watcher
