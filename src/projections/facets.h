// Facets: the few values of a Result or Record that filters constrain most often and that the
// filter index (filter_index_projection.h) keeps postings for.
//
// A record's facets are its data type and, read from its JSON without building a DOM, its
// namespace (data.metadata.namespace), pipeline (data.metadata.labels['tekton.dev/pipeline']),
// run name (data.metadata.name) and outcome (data.status.conditions[0].reason). A result's are
// its summary's status (decimal enum number) and type (an absent summary reads as the empty
// one). A facet that is absent, or not a string,
// has no posting: a filter that needs the absent case is answered by a scan.
//
// Facet scope format (inside index keys, entity_index.h): 'F' <facet char> <value>. Values
// holding '\0' are never indexed, so a scope is exactly the keys that start with it plus '\0'.
#ifndef RUNLEDGER_PROJECTIONS_FACETS_H_
#define RUNLEDGER_PROJECTIONS_FACETS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

enum class Facet : char {
  kDataType = 't',
  kNamespace = 'n',
  kPipeline = 'p',
  kRunName = 'm',
  kReason = 'r',
  kSummaryStatus = 'S',
  kSummaryType = 'T',
};

struct FacetValue {
  Facet facet;
  std::string value;
};

std::string FacetScope(Facet facet, absl::string_view value);

std::vector<FacetValue> RecordFacets(const tekton::results::v1alpha2::Record& record);
std::vector<FacetValue> ResultFacets(const tekton::results::v1alpha2::Result& result);

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_FACETS_H_
