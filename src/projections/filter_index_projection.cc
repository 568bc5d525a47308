#include "src/projections/filter_index_projection.h"

#include "src/common/time_util.h"
#include "src/projections/facets.h"

namespace runledger {
namespace {

template <typename Entity>
v1::IndexedEntity Indexed(const Entity& entity, const std::vector<FacetValue>& facets) {
  v1::IndexedEntity indexed;
  indexed.set_parent(entity.name().substr(0, entity.name().find('/')));
  indexed.set_uid(entity.uid());
  indexed.set_create_nanos(TimestampToNanos(entity.create_time()));
  for (const FacetValue& f : facets) indexed.add_facet_scopes(FacetScope(f.facet, f.value));
  return indexed;
}

absl::Status Store(FoldState& state, const std::string& name, const v1::IndexedEntity& entity) {
  return FoldEntity(state, name, &entity, &FilterIndexProjection::KeysOf);
}

absl::Status Remove(FoldState& state, const std::string& name) {
  return FoldEntity<v1::IndexedEntity>(state, name, nullptr, &FilterIndexProjection::KeysOf);
}

}  // namespace

EntityKeys FilterIndexProjection::KeysOf(absl::string_view, const v1::IndexedEntity& entity) {
  EntityKeys keys;
  keys.index_value = entity.parent();
  for (const std::string& scope : entity.facet_scopes()) {
    for (SortField field : kOrders) {
      keys.index.push_back(IndexKey(field, scope, entity.create_nanos(), entity.uid()));
    }
  }
  return keys;
}

absl::Status FilterIndexProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RESULT_CREATED:
    case v1::RESULT_UPDATED:
      return Store(state, event.name(), Indexed(event.result(), ResultFacets(event.result())));
    case v1::RECORD_CREATED:
    case v1::RECORD_UPDATED:
      return Store(state, event.name(), Indexed(event.record(), RecordFacets(event.record())));
    case v1::RESULT_DELETED:
    case v1::RECORD_DELETED:
      return Remove(state, event.name());
    default:
      return absl::OkStatus();
  }
}

}  // namespace runledger
