// IndexDefinition checks: whether a user index definition (runledger.v1.IndexDefinition) names
// an index and a value of records that UserIndexProjection can index, and the `field` it reads.
// Every problem is InvalidArgument naming the field ("index.name", "index.expression").
//
// Index config file (`runledger serve --index-config FILE`), JSON:
//   {"indexes": [{"name": "part-of",
//                 "expression": "data.metadata.labels['app.kubernetes.io/part-of']"}, ...]}
// Each listed index is created at startup if missing and recreated if its expression changed;
// indexes created through the Admin service and not listed are left alone.
#ifndef RUNLEDGER_QUERY_INDEX_DEFINITION_H_
#define RUNLEDGER_QUERY_INDEX_DEFINITION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runledger/v1/admin.pb.h"
#include "src/projections/store.h"

namespace runledger {

// The definition with `field` derived from its expression, or InvalidArgument.
absl::StatusOr<v1::IndexDefinition> CheckIndexDefinition(const v1::IndexDefinition& definition);

// The definitions of an index config file (format above), each checked.
absl::StatusOr<std::vector<v1::IndexDefinition>> ReadIndexConfig(const std::string& path);

// Creates (or, when the expression differs, recreates) every index of `definitions` in `store`.
absl::Status ApplyIndexConfig(const std::vector<v1::IndexDefinition>& definitions, Store& store);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_INDEX_DEFINITION_H_
