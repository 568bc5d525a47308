// The key layout shared by the Results and the Records projections, and the one fold step they
// share: replacing an entity, its uid entry and its ordering-index entries.
//
// Keys, inside the projection's column family:
//   'N' <name>                                    -> the entity, deterministic protobuf encoding,
//                                                    without its derived fields (entity_fields.h)
//   'U' <uid>                                     -> the entity's name
//   'I' <field> <scope> '\0' <sort value> <uid>  -> empty
// uid:        16 bytes for a canonical UUID (every uid RunLedger issues), else its text.
// field:      one SortField character.
// scope:      "A" (all entities) or "P<parent>" (one parent). Names never contain '\0', so a
//             scope's entries are exactly the keys starting with IndexPrefix(field, scope). The
//             records of one result need no scope: their 'N' keys are adjacent
//             (ResultRecordsPrefix), and a list sorts them in memory.
// sort value: empty for SortField::kUid; otherwise the time as 8 ordered bytes
//             (AppendOrderedNanos). A missing time is stored as the largest time, so it sorts last
//             ascending and first descending, as SQL NULLs do.
// Entries with equal sort value are ordered by uid, which is what upstream's keyset pagination
// `(column, id) > (value, uid)` needs. Index entries hold no name (it would repeat in every
// entry); a page resolves its uids to names through the 'U' entries.
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
// Appends `uid` as keys hold it: 16 bytes for a canonical UUID, else its text.
void AppendUid(absl::string_view uid, std::string* key);

std::string ScopeAll();
std::string ScopeParent(absl::string_view parent);
// The prefix of the 'N' keys of every record of result `<parent>/results/<result_id>`: record
// names extend their result's, so a result's records are adjacent, and no ordering scope of
// their own is needed.
std::string ResultRecordsPrefix(absl::string_view parent, absl::string_view result_id);

std::string UidKey(absl::string_view uid);
std::string IndexPrefix(SortField field, absl::string_view scope);
// The part of an index key after its scope's prefix: sort value and uid. Keys of one scope sort
// as their suffixes do. `nanos` is ignored for SortField::kUid.
std::string SortSuffix(SortField field, int64_t nanos, absl::string_view uid);
// IndexPrefix(field, scope) + SortSuffix(field, nanos, uid).
std::string IndexKey(SortField field, absl::string_view scope, int64_t nanos,
                     absl::string_view uid);
// The uid at the end of an index key of `field` with prefix length `prefix_size` (0 for a
// SortSuffix).
std::string UidOfIndexKey(absl::string_view key, size_t prefix_size, SortField field);

// The keys an entity owns besides its 'N' entry: its uid entry and its index entries.
struct EntityKeys {
  std::string uid_key;
  std::vector<std::string> index;
  std::string index_value;  // the value of every index entry (empty for the core projections)
};

// Replaces the stored entity `name`: removes the keys in `old_keys` that are not in `new_keys`,
// writes the new ones, and stores `value` (or deletes the entity when `value` is nullopt).
absl::Status ReplaceEntity(FoldState& state, absl::string_view name, const EntityKeys& old_keys,
                           const std::optional<std::string>& value, const EntityKeys& new_keys);

// The fold step of an entity projection: stores `entity` as the new state of `name` (or removes
// `name` when `entity` is null), keeping the keys computed by `keys_of` in step. `keys_of` is
// given the name too: stored entities need not repeat the name their key holds.
template <typename Entity>
absl::Status FoldEntity(FoldState& state, absl::string_view name, const Entity* entity,
                        EntityKeys (*keys_of)(absl::string_view name, const Entity&)) {
  absl::StatusOr<std::optional<std::string>> old_value = state.Get(EntityKey(name));
  if (!old_value.ok()) return old_value.status();
  EntityKeys old_keys;
  if (old_value->has_value()) {
    Entity old_entity;
    if (!old_entity.ParseFromString(**old_value)) {
      return absl::DataLossError(absl::StrCat("undecodable stored state of ", name));
    }
    old_keys = keys_of(name, old_entity);
  }
  if (entity == nullptr) return ReplaceEntity(state, name, old_keys, std::nullopt, {});
  return ReplaceEntity(state, name, old_keys, SerializeDeterministic(*entity),
                       keys_of(name, *entity));
}

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_ENTITY_INDEX_H_
