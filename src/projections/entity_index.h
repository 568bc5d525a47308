// The key layout shared by the Results and the Records projections, and the one fold step they
// share: replacing an entity and its ordering-index entries.
//
// Keys, inside the projection's column family:
//   'N' <name>                                -> the entity, deterministic protobuf encoding
//   'I' <field> <scope> '\0' <sort value> <uid> -> the entity's name
// field:      one SortField character.
// scope:      "A" (all entities), "P<parent>" (one parent) or "S<parent>/<result id>" (the
//             records of one result). Names never contain '\0', so a scope's entries are exactly
//             the keys starting with IndexPrefix(field, scope).
// sort value: empty for SortField::kUid; otherwise the time as 8 ordered bytes
//             (AppendOrderedNanos). A missing time is stored as the largest time, so it sorts last
//             ascending and first descending, as SQL NULLs do.
// Entries with equal sort value are ordered by uid, which is what upstream's keyset pagination
// `(column, id) > (value, uid)` needs.
#ifndef RUNLEDGER_PROJECTIONS_ENTITY_INDEX_H_
#define RUNLEDGER_PROJECTIONS_ENTITY_INDEX_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "src/common/proto_util.h"
#include "src/projections/projection.h"

namespace runledger {

enum class SortField : char {
  kUid = 'u',
  kCreateTime = 'c',
  kUpdateTime = 'm',
  kSummaryStartTime = 's',
  kSummaryEndTime = 'e',
};

inline constexpr int64_t kMissingTime = std::numeric_limits<int64_t>::max();

std::string EntityKey(absl::string_view name);

std::string ScopeAll();
std::string ScopeParent(absl::string_view parent);
std::string ScopeResult(absl::string_view parent, absl::string_view result_id);

std::string IndexPrefix(SortField field, absl::string_view scope);
// `nanos` is ignored for SortField::kUid.
std::string IndexKey(SortField field, absl::string_view scope, int64_t nanos,
                     absl::string_view uid);

// Replaces the stored entity `name`: deletes `old_index` entries that are not in `new_index`,
// writes the new ones, and stores `value` (or deletes the entity when `value` is nullopt).
absl::Status ReplaceEntity(FoldState& state, absl::string_view name,
                           const std::vector<std::string>& old_index,
                           const std::optional<std::string>& value,
                           const std::vector<std::string>& new_index);

// The fold step of an entity projection: stores `entity` as the new state of `name` (or removes
// `name` when `entity` is null), keeping the ordering index computed by `index_keys` in step.
template <typename Entity>
absl::Status FoldEntity(FoldState& state, absl::string_view name, const Entity* entity,
                        std::vector<std::string> (*index_keys)(const Entity&)) {
  absl::StatusOr<std::optional<std::string>> old_value = state.Get(EntityKey(name));
  if (!old_value.ok()) return old_value.status();
  std::vector<std::string> old_index;
  if (old_value->has_value()) {
    Entity old_entity;
    if (!old_entity.ParseFromString(**old_value)) {
      return absl::DataLossError(absl::StrCat("undecodable stored state of ", name));
    }
    old_index = index_keys(old_entity);
  }
  if (entity == nullptr) return ReplaceEntity(state, name, old_index, std::nullopt, {});
  return ReplaceEntity(state, name, old_index, SerializeDeterministic(*entity),
                       index_keys(*entity));
}

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_ENTITY_INDEX_H_
