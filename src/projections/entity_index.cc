#include "src/projections/entity_index.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/common/uuid.h"

namespace runledger {
namespace {

bool Contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

void AppendUid(absl::string_view uid, std::string* key) {
  if (!AppendUuidBytes(uid, key)) absl::StrAppend(key, uid);
}

std::string EntityKey(absl::string_view name) { return absl::StrCat("N", name); }

std::string UidKey(absl::string_view uid) {
  std::string key = "U";
  AppendUid(uid, &key);
  return key;
}

std::string ScopeAll() { return "A"; }
std::string ScopeParent(absl::string_view parent) { return absl::StrCat("P", parent); }
std::string ResultRecordsPrefix(absl::string_view parent, absl::string_view result_id) {
  return EntityKey(absl::StrCat(FormatResultName(parent, result_id), "/records/"));
}

std::string IndexPrefix(SortField field, absl::string_view scope) {
  std::string key = "I";
  key.push_back(static_cast<char>(field));
  absl::StrAppend(&key, scope, absl::string_view("\0", 1));
  return key;
}

std::string SortSuffix(SortField field, int64_t nanos, absl::string_view uid) {
  std::string suffix;
  if (field != SortField::kUid) AppendOrderedNanos(nanos, &suffix);
  AppendUid(uid, &suffix);
  return suffix;
}

std::string IndexKey(SortField field, absl::string_view scope, int64_t nanos,
                     absl::string_view uid) {
  return absl::StrCat(IndexPrefix(field, scope), SortSuffix(field, nanos, uid));
}

std::string UidOfIndexKey(absl::string_view key, size_t prefix_size, SortField field) {
  absl::string_view uid = key.substr(prefix_size + (field == SortField::kUid ? 0 : 8));
  return uid.size() == 16 ? UuidFromBytes(uid) : std::string(uid);
}

absl::Status ReplaceEntity(FoldState& state, absl::string_view name, const EntityKeys& old_keys,
                           const std::optional<std::string>& value, const EntityKeys& new_keys) {
  for (const std::string& key : old_keys.index) {
    if (Contains(new_keys.index, key)) continue;
    absl::Status s = state.Delete(key);
    if (!s.ok()) return s;
  }
  for (const std::string& key : new_keys.index) {
    if (Contains(old_keys.index, key)) continue;
    absl::Status s = state.Put(key, new_keys.index_value);
    if (!s.ok()) return s;
  }
  if (old_keys.uid_key != new_keys.uid_key) {
    absl::Status s = old_keys.uid_key.empty() ? absl::OkStatus() : state.Delete(old_keys.uid_key);
    if (s.ok() && !new_keys.uid_key.empty()) s = state.Put(new_keys.uid_key, name);
    if (!s.ok()) return s;
  }
  return value ? state.Put(EntityKey(name), *value) : state.Delete(EntityKey(name));
}

}  // namespace runledger
