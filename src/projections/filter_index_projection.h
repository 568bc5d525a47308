// FilterIndexProjection: postings of every Result and Record under each of its facets
// (facets.h), in uid order and in create_time order, so that a filter that pins a facet reads
// only the matching entities, already in the order the list asks for.
//
// Keys (entity_index.h layout, in this projection's column family):
//   'N' <entity name> -> runledger.v1.IndexedEntity (what the entity is indexed under)
//   'I' <field> <FacetScope> '\0' <sort value> <uid> -> the entity's parent; field 'u' (uid) or
//                                                       'c' (create_time)
// Results and Records share the family: their names and uids never collide, and their facets
// have distinct letters. A posting's uid resolves to a name through the core projection's 'U'
// entry (the same uid), so this family keeps none of its own. Each posting holds its entity's
// parent, so a list under one parent skips the others' postings without reading their entities.
//
// An index, not core state: it is folded behind the log in generations (index_set.h), and
// readers that use it first wait until it has reached the log position their request arrived at.
#ifndef RUNLEDGER_PROJECTIONS_FILTER_INDEX_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_FILTER_INDEX_PROJECTION_H_

#include "runledger/v1/stored.pb.h"
#include "src/projections/entity_index.h"
#include "src/projections/projection.h"

namespace runledger {

class FilterIndexProjection : public Projection {
 public:
  static constexpr absl::string_view kName = "filter_index";
  // The orders the postings are kept in.
  static constexpr SortField kOrders[] = {SortField::kUid, SortField::kCreateTime};

  absl::string_view name() const override { return kName; }
  int version() const override { return 3; }
  absl::Status Apply(const v1::Event& event, FoldState& state) override;

  static EntityKeys KeysOf(absl::string_view name, const v1::IndexedEntity& entity);
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_FILTER_INDEX_PROJECTION_H_
