// The server-owned fields that Results and Records carry twice or derive (spec/api.md §2.2):
// the deprecated `id`, `created_time` and `updated_time` repeat `uid`, `create_time` and
// `update_time`, and the etag is `<uid>-<update_time as Unix nanoseconds>`. Projections store
// entities without them and readers set them again, so both places agree by construction.
#ifndef RUNLEDGER_COMMON_ENTITY_FIELDS_H_
#define RUNLEDGER_COMMON_ENTITY_FIELDS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "src/common/time_util.h"

namespace runledger {

inline std::string Etag(absl::string_view uid, int64_t update_nanos) {
  return absl::StrCat(uid, "-", update_nanos);
}

// Sets id, created_time, updated_time and etag from uid, create_time and update_time.
template <typename Entity>
void SetDerivedFields(Entity* entity) {
  entity->set_id(entity->uid());
  *entity->mutable_created_time() = entity->create_time();
  *entity->mutable_updated_time() = entity->update_time();
  entity->set_etag(Etag(entity->uid(), TimestampToNanos(entity->update_time())));
}

template <typename Entity>
void ClearDerivedFields(Entity* entity) {
  entity->clear_id();
  entity->clear_created_time();
  entity->clear_updated_time();
  entity->clear_etag();
}

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_ENTITY_FIELDS_H_
