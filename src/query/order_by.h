// The order_by parameter of ListResults and ListRecords (spec/api.md §3.3): one field, then
// optionally ASC/asc/DESC/desc, separated by whitespace. Without order_by, lists are in uid order.
#ifndef RUNLEDGER_QUERY_ORDER_BY_H_
#define RUNLEDGER_QUERY_ORDER_BY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/projections/entity_index.h"

namespace runledger {

struct OrderBy {
  SortField field = SortField::kUid;
  std::string field_name;  // the API name, e.g. "create_time"; empty for the uid default
  bool descending = false;
};

// A field that may be ordered by, with its API name.
struct OrderableField {
  absl::string_view name;
  SortField field;
};

// The orderable fields of Results and of Records.
const std::vector<OrderableField>& ResultOrderFields();
const std::vector<OrderableField>& RecordOrderFields();

// Parses `text` against `fields`. InvalidArgument with upstream's messages on failure.
absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view text,
                                     const std::vector<OrderableField>& fields);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_ORDER_BY_H_
