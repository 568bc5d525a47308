// Lister: ListResults and ListRecords, served from the core projections' ordering index
// (src/projections/entity_index.h), never from the log.
//
// Processing follows upstream's order of checks and codes (spec/api.md §3.1): parent, page
// token decoding and parent binding, order_by, token/filter/order binding, filter, page size.
// A page is read under one RocksDB snapshot: index entries from page_size + 1 positions after
// the token's cursor, then the entities by name. The extra entry decides whether a
// next_page_token is issued; the token names the last item returned.
#ifndef RUNLEDGER_QUERY_LISTER_H_
#define RUNLEDGER_QUERY_LISTER_H_

#include "absl/status/statusor.h"
#include "src/projections/core_reader.h"
#include "tekton/results/v1alpha2/api.pb.h"

namespace runledger {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMinPageSize = 5;
inline constexpr int kMaxPageSize = 10000;

class Lister {
 public:
  explicit Lister(const CoreReader* reader) : reader_(reader) {}

  absl::StatusOr<tekton::results::v1alpha2::ListResultsResponse> ListResults(
      const tekton::results::v1alpha2::ListResultsRequest& request) const;
  absl::StatusOr<tekton::results::v1alpha2::ListRecordsResponse> ListRecords(
      const tekton::results::v1alpha2::ListRecordsRequest& request) const;

 private:
  const CoreReader* reader_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_LISTER_H_
