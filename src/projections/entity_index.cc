#include "src/projections/entity_index.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/common/time_util.h"

namespace runledger {

std::string EntityKey(absl::string_view name) { return absl::StrCat("N", name); }

std::string ScopeAll() { return "A"; }
std::string ScopeParent(absl::string_view parent) { return absl::StrCat("P", parent); }
std::string ScopeResult(absl::string_view parent, absl::string_view result_id) {
  return absl::StrCat("S", parent, "/", result_id);
}

std::string IndexPrefix(SortField field, absl::string_view scope) {
  std::string key = "I";
  key.push_back(static_cast<char>(field));
  absl::StrAppend(&key, scope, absl::string_view("\0", 1));
  return key;
}

std::string IndexKey(SortField field, absl::string_view scope, int64_t nanos,
                     absl::string_view uid) {
  std::string key = IndexPrefix(field, scope);
  if (field != SortField::kUid) AppendOrderedNanos(nanos, &key);
  absl::StrAppend(&key, uid);
  return key;
}

absl::Status ReplaceEntity(FoldState& state, absl::string_view name,
                           const std::vector<std::string>& old_index,
                           const std::optional<std::string>& value,
                           const std::vector<std::string>& new_index) {
  for (const std::string& key : old_index) {
    if (std::find(new_index.begin(), new_index.end(), key) != new_index.end()) continue;
    absl::Status s = state.Delete(key);
    if (!s.ok()) return s;
  }
  for (const std::string& key : new_index) {
    if (std::find(old_index.begin(), old_index.end(), key) != old_index.end()) continue;
    absl::Status s = state.Put(key, name);
    if (!s.ok()) return s;
  }
  return value ? state.Put(EntityKey(name), *value) : state.Delete(EntityKey(name));
}

}  // namespace runledger
