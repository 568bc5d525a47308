#include "src/projections/facets.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "simdjson.h"
#include "src/common/padded_json.h"

namespace runledger {
namespace {

// One facet of a record's JSON and where it lives (a JSON Pointer).
struct JsonFacet {
  Facet facet;
  std::string_view pointer;
};

constexpr JsonFacet kJsonFacets[] = {
    {Facet::kNamespace, "/metadata/namespace"},
    {Facet::kPipeline, "/metadata/labels/tekton.dev~1pipeline"},
    {Facet::kRunName, "/metadata/name"},
    {Facet::kReason, "/status/conditions/0/reason"},
};

void AddFacet(Facet facet, std::string_view value, std::vector<FacetValue>* out) {
  if (value.find('\0') != std::string_view::npos) return;
  out->push_back({facet, std::string(value)});
}

void AddJsonFacets(const std::string& json, std::vector<FacetValue>* out) {
  // The index worker calls this for every event: keep one parser (and its buffers) per thread.
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(PaddedCopy(json)).get(doc) != simdjson::SUCCESS) return;
  for (const JsonFacet& f : kJsonFacets) {
    std::string_view value;
    if (doc.at_pointer(f.pointer).get_string().get(value) == simdjson::SUCCESS) {
      AddFacet(f.facet, value, out);
    }
  }
}

}  // namespace

std::string FacetScope(Facet facet, absl::string_view value) {
  std::string scope = "F";
  scope.push_back(static_cast<char>(facet));
  absl::StrAppend(&scope, value);
  return scope;
}

std::vector<FacetValue> RecordFacets(const tekton::results::v1alpha2::Record& record) {
  std::vector<FacetValue> facets;
  AddFacet(Facet::kDataType, record.data().type(), &facets);
  if (!record.has_data()) return facets;
  AddJsonFacets(record.data().value(), &facets);
  return facets;
}

std::vector<FacetValue> ResultFacets(const tekton::results::v1alpha2::Result& result) {
  // An absent summary reads as the empty one, as in the filter environment.
  std::vector<FacetValue> facets;
  AddFacet(Facet::kSummaryStatus, absl::StrCat(static_cast<int>(result.summary().status())),
           &facets);
  AddFacet(Facet::kSummaryType, result.summary().type(), &facets);
  return facets;
}

}  // namespace runledger
