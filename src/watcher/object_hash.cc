#include "src/watcher/object_hash.h"

#include <openssl/sha.h>

#include <iterator>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "src/watcher/annotation_keys.h"

namespace runledger::watcher {
namespace {

using nlohmann::json;

bool IsWrittenBack(const std::string& key) {
  static const auto* const kKeys = new std::set<std::string>{
      kResultAnnotation, kRecordAnnotation,   kStoredAnnotation, kChildReadyForDeletionAnnotation,
      kLogAnnotation,    kEventListAnnotation};
  return kKeys->count(key) > 0 || absl::StartsWith(key, kRunLedgerPrefix);
}

void StripAnnotations(json& metadata) {
  auto annotations = metadata.find("annotations");
  if (annotations == metadata.end() || !annotations->is_object()) return;
  for (auto it = annotations->begin(); it != annotations->end();) {
    it = IsWrittenBack(it.key()) ? annotations->erase(it) : std::next(it);
  }
  if (annotations->empty()) metadata.erase(annotations);
}

void StripFinalizers(json& metadata) {
  auto finalizers = metadata.find("finalizers");
  if (finalizers == metadata.end() || !finalizers->is_array()) return;
  json kept = json::array();
  for (const json& finalizer : *finalizers) {
    if (!finalizer.is_string() || !absl::StartsWith(finalizer.get<std::string>(), kResultsPrefix)) {
      kept.push_back(finalizer);
    }
  }
  if (kept.empty()) {
    metadata.erase(finalizers);
  } else {
    *finalizers = std::move(kept);
  }
}

}  // namespace

json NormalizedObject(const json& object) {
  json normalized = object;
  auto metadata = normalized.find("metadata");
  if (metadata == normalized.end() || !metadata->is_object()) return normalized;
  metadata->erase("managedFields");
  metadata->erase("resourceVersion");
  StripAnnotations(*metadata);
  StripFinalizers(*metadata);
  return normalized;
}

std::string NormalizedObjectHash(const json& object) {
  const std::string text =
      NormalizedObject(object).dump(-1, ' ', false, json::error_handler_t::replace);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace runledger::watcher
